#include "experiments/inflora/inflora_experiment.h"

#include <fmt/format.h>

#include <cmath>
#include <map>

#include "core/error.h"
#include "experiments/experiment.h"
#include "results/store.h"

namespace paralab::inflora {

using continual::ClassIncremental;
using continual::ContinualResult;

const std::vector<std::string>& inflora_parameters() {
  static const std::vector<std::string> keys = {"synthetic_tasks", "digits_tasks", "seeds", "methods",
                                                "epochs",          "rank",         "learning_rate", "eps",
                                                "cost_study"};
  return keys;
}

namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string bad(const std::string& key, const std::string& value, const std::string& expected) {
  return "--param " + key + "='" + value + "': expected " + expected;
}

int parse_int(const std::string& key, const std::string& v, int lo, int hi) {
  size_t used = 0;
  int x = 0;
  try {
    x = std::stoi(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v.size() || x < lo || x > hi)
    throw InputError(bad(key, v, fmt::format("an integer in [{}, {}]", lo, hi)));
  return x;
}

double parse_double(const std::string& key, const std::string& v, double lo, double hi) {
  size_t used = 0;
  double x = 0;
  try {
    x = std::stod(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v.size() || !(x > lo && x <= hi))
    throw InputError(bad(key, v, fmt::format("a number in ({}, {}]", lo, hi)));
  return x;
}

std::vector<int> parse_tasks(const std::string& key, const std::string& v, int classes) {
  std::vector<int> out;
  for (const auto& item : split_list(v)) {
    const int t = parse_int(key, item, 1, classes);
    if (classes % t != 0)
      throw InputError(bad(key, v, fmt::format("task counts that divide the {} classes", classes)));
    out.push_back(t);
  }
  return out;
}

}  // namespace

InfloraConfig inflora_config(const ExperimentOptions& opt) {
  InfloraConfig c;
  c.first_seed = opt.seed;
  if (opt.quick) {
    c.synthetic_tasks = {5};
    c.seeds = 1;
    c.cost_study = false;
  }
  for (const auto& [key, v] : opt.params) {
    if (key == "synthetic_tasks") {
      c.synthetic_tasks = parse_tasks(key, v, c.synthetic.classes);
    } else if (key == "digits_tasks") {
      c.digits_tasks = parse_tasks(key, v, 10);
    } else if (key == "seeds") {
      c.seeds = parse_int(key, v, 1, 100);
    } else if (key == "methods") {
      c.methods.clear();
      for (const auto& m : split_list(v)) {
        try {
          continual::parse_method(m);
        } catch (const InputError&) {
          throw InputError(bad(key, v, "a comma list of " + join_names(continual::method_names())));
        }
        c.methods.push_back(m);
      }
    } else if (key == "epochs") {
      c.learner.epochs = parse_int(key, v, 1, 1000);
    } else if (key == "rank") {
      c.learner.rank = parse_int(key, v, 1, 128);
    } else if (key == "learning_rate") {
      c.learner.learning_rate = parse_double(key, v, 0.0, 1.0);
    } else if (key == "eps") {
      c.learner.eps = parse_double(key, v, 0.0, 1.0);
    } else if (key == "cost_study") {
      c.cost_study = parse_int(key, v, 0, 1) == 1;
    } else {
      throw InputError("--param: experiment 'inflora' has no parameter '" + key +
                       "'; valid parameters: " + join_names(inflora_parameters()));
    }
  }
  return c;
}

namespace {

Json learner_json(const continual::LearnerConfig& l) {
  return {{"hidden", l.hidden},         {"rank", l.rank},
          {"epochs", l.epochs},         {"batch_size", l.batch_size},
          {"learning_rate", l.learning_rate}, {"eps", l.eps},
          {"reduction_scale", l.reduction_scale}, {"optimizer", "adam, cosine schedule"}};
}

int64_t record(ResultsStore& store, const InfloraConfig& c, const InfloraRow& row) {
  const ContinualResult& r = row.result;
  RunRecord rec;
  rec.backend = "real-host";
  rec.experiment = "inflora";
  rec.model = fmt::format("mlp-{}", fmt::join(c.learner.hidden, "-"));
  rec.cluster = "host";
  rec.strategy = row.method;
  rec.config = {{"benchmark", row.benchmark}, {"tasks", row.tasks}, {"seed", row.seed}, {"learner", learner_json(c.learner)}};
  rec.step_seconds = r.train_seconds;
  rec.metrics = {{"final_accuracy", r.final_accuracy},
                 {"average_accuracy", r.average_accuracy},
                 {"forgetting", r.forgetting},
                 {"accuracy_matrix", r.accuracy},
                 {"trainable_parameters_last_task", r.trainable_parameters_last_task},
                 {"timing", {{"train_seconds", r.train_seconds}}}};
  if (!r.memory_ranks.empty()) rec.metrics["memory_ranks"] = r.memory_ranks;
  return store.insert(rec);
}

}  // namespace

std::vector<InfloraRow> run_inflora_experiment(const InfloraConfig& c, ResultsStore* store) {
  struct Setting {
    std::string benchmark;
    int tasks;
  };
  std::vector<Setting> settings;
  for (int t : c.synthetic_tasks) settings.push_back({"synthetic", t});
  for (int t : c.digits_tasks) settings.push_back({"digits", t});
  const std::string digits_path =
      c.digits_path.empty() ? std::string(PARALAB_SOURCE_DIR) + "/experiments/inflora/data/uci-digits.csv.gz"
                            : c.digits_path;
  continual::Dataset digits;
  if (!c.digits_tasks.empty()) digits = continual::load_csv_dataset(digits_path);
  std::vector<InfloraRow> rows;
  for (const Setting& s : settings) {
    for (int k = 0; k < c.seeds; ++k) {
      const uint64_t seed = c.first_seed + static_cast<uint64_t>(k);
      const continual::Dataset data = s.benchmark == "digits" ? digits : continual::synthetic_dataset(c.synthetic, seed);
      const ClassIncremental b = continual::split_class_incremental(data, s.tasks, c.test_fraction, seed);
      continual::LearnerConfig lc = c.learner;
      lc.seed = seed;
      for (const auto& m : c.methods) {
        InfloraRow row{s.benchmark, s.tasks, m, seed, continual::run_continual(continual::parse_method(m), b, lc), 0};
        if (store) row.run_id = record(*store, c, row);
        rows.push_back(std::move(row));
      }
    }
  }
  return rows;
}

namespace {

struct Stats {
  double mean = 0, std = 0;
};
Stats stats(const std::vector<double>& v) {
  Stats s;
  for (double x : v) s.mean += x / static_cast<double>(v.size());
  for (double x : v) s.std += (x - s.mean) * (x - s.mean);
  s.std = v.size() > 1 ? std::sqrt(s.std / static_cast<double>(v.size() - 1)) : 0.0;
  return s;
}

// (setting, method) -> rows, in first-seen order.
std::vector<std::pair<std::string, std::vector<const InfloraRow*>>> group(const std::vector<InfloraRow>& rows) {
  std::vector<std::pair<std::string, std::vector<const InfloraRow*>>> out;
  std::map<std::string, size_t> index;
  for (const auto& r : rows) {
    const std::string key = fmt::format("{}-{}|{}", r.benchmark, r.tasks, r.method);
    auto [it, fresh] = index.emplace(key, out.size());
    if (fresh) out.push_back({key, {}});
    out[it->second].second.push_back(&r);
  }
  return out;
}

}  // namespace

Json inflora_summary(const std::vector<InfloraRow>& rows) {
  Json j = Json::object();
  Json settings = Json::array();
  for (const auto& [key, rs] : group(rows)) {
    const std::string setting = key.substr(0, key.find('|'));
    const std::string method = key.substr(key.find('|') + 1);
    if (std::find(settings.begin(), settings.end(), setting) == settings.end()) settings.push_back(setting);
    std::vector<double> fa, aa, fg;
    Json seeds = Json::array();
    for (const InfloraRow* r : rs) {
      fa.push_back(r->result.final_accuracy);
      aa.push_back(r->result.average_accuracy);
      fg.push_back(r->result.forgetting);
      seeds.push_back({{"seed", r->seed},
                       {"final_accuracy", r->result.final_accuracy},
                       {"average_accuracy", r->result.average_accuracy},
                       {"forgetting", r->result.forgetting},
                       {"run_id", r->run_id}});
    }
    const Stats f = stats(fa), a = stats(aa), g = stats(fg);
    j[method][setting] = {{"final_accuracy", f.mean},   {"final_accuracy_std", f.std},
                          {"average_accuracy", a.mean}, {"average_accuracy_std", a.std},
                          {"forgetting", g.mean},       {"forgetting_std", g.std},
                          {"seeds", seeds}};
  }
  j["settings"] = settings;
  return j;
}

std::string inflora_markdown(const std::vector<InfloraRow>& rows) {
  std::string out =
      "| benchmark | tasks | method | seeds | final accuracy % | average accuracy % | forgetting % |\n"
      "|---|---|---|---|---|---|---|\n";
  for (const auto& [key, rs] : group(rows)) {
    std::vector<double> fa, aa, fg;
    for (const InfloraRow* r : rs) {
      fa.push_back(100 * r->result.final_accuracy);
      aa.push_back(100 * r->result.average_accuracy);
      fg.push_back(100 * r->result.forgetting);
    }
    const Stats f = stats(fa), a = stats(aa), g = stats(fg);
    out += fmt::format("| {} | {} | {} | {} | {:.2f} ± {:.2f} | {:.2f} ± {:.2f} | {:.2f} ± {:.2f} |\n", rs[0]->benchmark,
                       rs[0]->tasks, rs[0]->method, rs.size(), f.mean, f.std, a.mean, a.std, g.mean, g.std);
  }
  return out;
}

}  // namespace paralab::inflora
