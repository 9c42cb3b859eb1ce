// Bad model input: each error names the file, the JSON path and what was expected.
#include <gtest/gtest.h>

#include "core/catalog.h"
#include "core/error.h"

namespace paralab {
namespace {

std::string bad(const char* name) { return std::string(PARALAB_TEST_DATA) + "/bad/" + name; }

std::string error_of(const std::string& arg) {
  try {
    load_model(arg);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(ModelLoaderErrors, MalformedJsonNamesFileAndPosition) {
  std::string e = error_of(bad("malformed.json"));
  EXPECT_NE(e.find("malformed.json: malformed JSON"), std::string::npos) << e;
  EXPECT_NE(e.find("line 2"), std::string::npos) << e;
}

TEST(ModelLoaderErrors, UnknownArchitectureListsSupportedOnes) {
  std::string e = error_of(bad("unknown_arch.json"));
  EXPECT_NE(e.find("unknown_arch.json: $.model_type: expected one of llama, mistral, qwen2, gpt2, opt, bert, t5, vit, swin"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("got \"mamba\""), std::string::npos) << e;
}

TEST(ModelLoaderErrors, NegativeFieldIsRejected) {
  std::string e = error_of(bad("negative.json"));
  EXPECT_NE(e.find("negative.json: $.hidden_size: expected a positive integer, got -4096"), std::string::npos) << e;
}

TEST(ModelLoaderErrors, MissingFieldIsNamed) {
  std::string e = error_of(bad("missing.json"));
  EXPECT_NE(e.find("missing.json: $.n_layer: missing field"), std::string::npos) << e;
}

TEST(ModelLoaderErrors, UnknownCatalogNameListsValidNames) {
  std::string e = error_of("llama-3-8b");
  EXPECT_NE(e.find("unknown model 'llama-3-8b'; valid names: "), std::string::npos) << e;
  EXPECT_NE(e.find("llama-2-7b"), std::string::npos) << e;
}

TEST(ModelLoaderErrors, MissingFileIsNamed) {
  std::string e = error_of("/nonexistent/config.json");
  EXPECT_EQ(e, "/nonexistent/config.json: cannot open file for reading");
}

}  // namespace
}  // namespace paralab
