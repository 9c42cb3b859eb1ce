// Hardware profile JSON -> HardwareProfile -> applied to a two-node DGX A100
// cluster -> its JSON written back.
#include "core/catalog.h"
#include "core/hardware_profile.h"
#include "fuzz/fuzz_driver.h"

void paralab::fuzz::consume(const JsonReader& j) {
  static const Cluster base = load_cluster("dgx-a100-80gb", 2);
  HardwareProfile p = hardware_profile_from_json(j);
  Cluster c = base;
  (void)apply_hardware_profile(p, &c);
  (void)p.to_json().dump();
}
