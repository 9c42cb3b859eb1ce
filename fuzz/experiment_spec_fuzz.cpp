// Experiment spec JSON -> ExperimentSpec -> its full and its --quick form
// -> each expanded into its sweep: configuration keys checked against the
// kind, the run count against kMaxSweepRuns, every model and every cluster
// (with each variant's overrides) loaded from the catalog, every run's
// configuration hash computed. Running the runs is left out: that is the
// simulator, which the plan and TaskGraph targets reach through their own
// loaders.
#include "experiments/spec.h"
#include "fuzz/fuzz_driver.h"

void paralab::fuzz::consume(const JsonReader& j) {
  const ExperimentSpec s = spec_from_json(j.json(), j.file());
  // The two forms are expanded independently: a bad quick section must not
  // hide the full sweep from the fuzzer, nor the other way round.
  for (bool quick : {false, true}) {
    try {
      (void)expand_sweep(effective_spec(s, quick));
    } catch (const InputError&) {
    }
  }
}
