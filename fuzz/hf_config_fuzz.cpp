// HuggingFace config.json -> ArchSpec -> ModelGraph (parameters, FLOPs).
#include "core/model_builder.h"
#include "fuzz/fuzz_driver.h"

void paralab::fuzz::consume(const JsonReader& j) {
  ModelGraph m = build_model(arch_from_hf_config(j));
  (void)m.params();
  (void)m.forward_flops(m.default_seq_len);
}
