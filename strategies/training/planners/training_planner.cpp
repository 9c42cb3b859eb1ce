// The planner orchestrator: pairs, parallel solve with pruning, baselines'
// search rules, simulator confirmation. Long-ish because each planner's rule
// is a few lines here; the algorithms live in dp_solver / milp_solver.
#include "strategies/training/planners/training_planner.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "core/error.h"
#include "strategies/training/memory_model.h"
#include "strategies/training/plan_validation.h"
#include "strategies/training/planners/dp_solver.h"
#include "strategies/training/planners/milp_solver.h"

namespace paralab::planner {

const std::vector<std::string>& planner_names() {
  static const std::vector<std::string> v{"uniap", "ddp", "zero3", "megatron", "galvatron", "alpa"};
  return v;
}

namespace {

bool is_block(LayerKind k) { return k == LayerKind::kEncoderBlock || k == LayerKind::kDecoderBlock; }

std::vector<int64_t> divisors(int64_t n) {
  std::vector<int64_t> d;
  for (int64_t i = 1; i <= n; ++i)
    if (n % i == 0) d.push_back(i);
  return d;
}

// Stage starts of the even split (blocks evenly; embedding first, head last).
std::vector<int> even_starts(const ModelGraph& m, int pp) {
  std::vector<int> blocks;
  for (int i = 0; i < m.num_layers(); ++i)
    if (is_block(m.layer(i).kind)) blocks.push_back(i);
  if (blocks.empty() || int(blocks.size()) % pp) return {};
  int per = int(blocks.size()) / pp;
  std::vector<int> s{0};
  for (int i = 1; i < pp; ++i) s.push_back(blocks[size_t(i) * per]);
  return s;
}

// A search result on `search` re-evaluated on the true instance.
SolveResult reevaluate(const PlanInstance& truth, SolveResult r) {
  if (!r.ok()) return r;
  Evaluation ev = evaluate(truth, r.assignment);
  r.objective_seconds = ev.feasible ? ev.objective_seconds : kInf;
  if (!ev.feasible) r.status = "infeasible", r.message = ev.why;
  r.bound_seconds = 0;  // a heuristic proves nothing about the true optimum
  return r;
}

SolveResult solve_megatron(const ModelGraph& m, const CostedInstance& ci) {
  SolveResult best;
  best.status = "infeasible";
  std::vector<int> starts = even_starts(m, ci.pipeline_degree);
  if (starts.empty()) return best;
  const PlanInstance& in = ci.instance;
  int n = in.num_layers();
  Assignment a;
  a.stage.assign(n, 0);
  for (int i = 0; i < int(starts.size()); ++i)
    for (int u = starts[i]; u < n; ++u) a.stage[u] = i;
  // One signature (dp, tp, sp, recomputation of the blocks) for every layer.
  int b0 = starts.size() > 0 ? int(std::find_if(m.layers().begin(), m.layers().end(),
                                                [](const Layer& l) { return is_block(l.kind); }) -
                                   m.layers().begin())
                             : 0;
  for (const LayerStrategy& sig : ci.strategies[b0]) {
    a.strategy.assign(n, -1);
    bool ok = true;
    for (int u = 0; u < n && ok; ++u) {
      for (int k = 0; k < int(ci.strategies[u].size()); ++k) {
        const LayerStrategy& s = ci.strategies[u][k];
        bool rec_ok = is_block(m.layer(u).kind) ? s.recompute == sig.recompute : true;
        if (s.dp == sig.dp && s.tp == sig.tp && s.fsdp == sig.fsdp && s.sequence_parallel == sig.sequence_parallel &&
            s.zero_stage == sig.zero_stage && rec_ok) {
          a.strategy[u] = k;
          break;
        }
      }
      ok = a.strategy[u] >= 0;
    }
    if (!ok) continue;
    best.iterations++;
    Evaluation ev = evaluate(in, a);
    if (ev.feasible && ev.objective_seconds < best.objective_seconds) {
      best.objective_seconds = ev.objective_seconds;
      best.assignment = a;
      best.status = "grid";
    }
  }
  return best;
}

// upper_bound: only a plan with objective <= it is wanted (exact searches
// may then answer "cutoff"); heuristic searches ignore it.
SolveResult solve_pair(const ModelGraph& m, const CostedInstance& ci, const PlannerOptions& o, double upper_bound) {
  const PlanInstance& in = ci.instance;
  const std::string& p = o.planner;
  if (p == "megatron") return solve_megatron(m, ci);
  if (p == "galvatron") {
    DpOptions d;
    d.stage_starts = even_starts(m, ci.pipeline_degree);
    if (d.stage_starts.empty()) return SolveResult{};
    return reevaluate(in, solve_dp(chain_relaxation(in), d));
  }
  if (p == "alpa") {
    PlanInstance search = chain_relaxation(in);
    Zeros zeros;
    for (EdgeCosts& e : search.edges) e.cross_stage = zeros.get(in.num_strategies(e.u), in.num_strategies(e.v));
    return reevaluate(in, solve_dp(search));
  }
  DpOptions exact;
  exact.upper_bound_seconds = upper_bound;
  if (p == "ddp" || p == "zero3") return in.is_chain() ? solve_dp(in, exact) : solve_milp(in, {o.milp_time_limit_seconds});
  // uniap
  if (o.solver == "milp") return solve_milp(in, {o.milp_time_limit_seconds});
  return solve_dp(in, exact);
}

StrategySpace space_for(const PlannerOptions& o) {
  StrategySpace s = o.space;
  if (o.planner == "ddp") {
    s.pure_data_parallel_only = true;
    s.recomputation = false;
  } else if (o.planner == "zero3") {
    s.full_sharding_only = true;
    s.recomputation = false;
  } else if (o.planner == "megatron") {
    s.sharding = false;
  } else if (o.planner == "galvatron") {
    s.only_zero3 = true;
    s.selective_recompute = false;
    s.sequence_parallel = false;
  }
  return s;
}

// Least bytes per device any split of this pair could need (balanced stages).
double least_bytes(const CostedInstance& ci, const PlannerJob& job) {
  const PlanInstance& in = ci.instance;
  double sum = 0;
  for (int u = 0; u < in.num_layers(); ++u) {
    double best = kInf;
    for (int k = 0; k < in.num_strategies(u); ++k) best = std::min(best, in.layer_bytes(u, k, in.num_stages - 1));
    sum += best;
  }
  return sum / in.num_stages + job.reserve_bytes + ci.transient_reserve_bytes;
}

void run_parallel(int threads, size_t count, const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < count;) fn(i);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

}  // namespace

PlannerResult plan_training(const ModelGraph& m, const Cluster& c, const PlannerJob& job, const PlannerOptions& o) {
  auto t0 = std::chrono::steady_clock::now();
  PlannerResult r;
  r.planner = o.planner;
  r.confirm_collectives = sim::collective_mode_name(o.confirm_collectives);
  r.solver = o.planner == "uniap" ? o.solver : (o.planner == "megatron" ? "grid" : "dp");
  if (std::find(planner_names().begin(), planner_names().end(), o.planner) == planner_names().end())
    throw InputError(fmt::format("--planner: unknown '{}'; valid values are: uniap, ddp, zero3, megatron, galvatron, alpa",
                                 o.planner));
  if (o.solver != "dp" && o.solver != "milp")
    throw InputError(fmt::format("--solver: unknown '{}'; valid values are: dp, milp", o.solver));
  if (o.planner == "uniap" && o.solver == "dp" && !m.is_chain())
    throw InputError(fmt::format("--solver dp: model {} is not a chain (its layers form a DAG); use --solver milp",
                                 m.name()));
  int n_dev = int(c.accelerators().size());
  if (n_dev < 1) throw InputError(fmt::format("cluster {} has no accelerators", c.name));
  StrategySpace space = space_for(o);
  std::vector<std::pair<int, int64_t>> pairs;
  for (int64_t pp : divisors(n_dev)) {
    if (pp > m.num_layers()) continue;
    if (o.fixed_pp > 0 && pp != o.fixed_pp) continue;
    if ((o.planner == "ddp" || o.planner == "zero3") && pp != 1) continue;
    if ((o.planner == "megatron" || o.planner == "galvatron") && even_starts(m, int(pp)).empty()) continue;
    for (int64_t cnt : divisors(job.global_batch)) pairs.push_back({int(pp), cnt});
  }
  r.pairs_total = int(pairs.size());
  int threads = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  // Layers first (strategies, A, memory): enough for every pair's bound.
  std::vector<CostedInstance> inst(pairs.size());
  std::vector<double> lb(pairs.size());
  run_parallel(threads, pairs.size(), [&](size_t i) {
    inst[i] = cost_layers(m, c, job, pairs[i].first, pairs[i].second, space);
    bool empty = false;
    for (const auto& a : inst[i].instance.time_seconds) empty |= a.empty();
    lb[i] = empty ? kInf : objective_lower_bound(inst[i].instance);
  });
  std::vector<size_t> order(pairs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return lb[a] < lb[b]; });
  std::vector<SolveResult> sol(pairs.size());
  std::mutex mu;
  double best = kInf;
  std::atomic<int> pruned{0}, solved_wall{0};
  // Exact searches are told the bound (1 + margin) x best: a pair with no
  // plan within it answers "cutoff" early. Every pair whose optimum is within
  // (1 + margin) x the final best is solved exactly whatever the timing (its
  // bound at solve time was no smaller), so the candidates are deterministic.
  bool exact = o.planner == "uniap" || o.planner == "ddp" || o.planner == "zero3";
  run_parallel(threads, order.size(), [&](size_t oi) {
    size_t i = order[oi];
    if (lb[i] == kInf) return;
    double bound;
    {
      std::lock_guard<std::mutex> g(mu);
      bound = best * (1 + o.candidate_margin);
      if (lb[i] > bound) {
        pruned++;
        return;
      }
    }
    solved_wall++;
    CostedInstance& ci = inst[i];
    add_edges(m, c, job, &ci);
    SolveResult s = solve_pair(m, ci, o, exact ? bound : kInf);
    ci.instance.edges.clear();  // the plan needs only the strategies; the matrices are the bulk
    std::lock_guard<std::mutex> g(mu);
    sol[i] = s;
    if (s.ok() || s.status == "grid") best = std::min(best, s.objective_seconds);
  });
  r.pairs_solved_wall = solved_wall;
  r.search_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double least = kInf;
  std::vector<size_t> cand;
  std::string first_error;
  for (size_t i = 0; i < pairs.size(); ++i) {
    r.max_strategies_per_layer = std::max(r.max_strategies_per_layer, inst[i].max_strategies_per_layer);
    if (!inst[i].instance.time_seconds.empty() && inst[i].max_strategies_per_layer > 0 &&
        std::none_of(inst[i].instance.time_seconds.begin(), inst[i].instance.time_seconds.end(),
                     [](const std::vector<double>& a) { return a.empty(); }))
      least = std::min(least, least_bytes(inst[i], job));
    if (lb[i] == kInf) continue;
    if (lb[i] > best * (1 + o.candidate_margin)) {
      r.pairs_pruned++;
      continue;
    }
    r.pairs_solved++;
    if (sol[i].status == "error" && first_error.empty()) first_error = sol[i].message;
    if (sol[i].objective_seconds < kInf && sol[i].objective_seconds <= best * (1 + o.candidate_margin)) cand.push_back(i);
  }
  std::sort(cand.begin(), cand.end(), [&](size_t a, size_t b) {
    if (sol[a].objective_seconds != sol[b].objective_seconds) return sol[a].objective_seconds < sol[b].objective_seconds;
    return pairs[a] < pairs[b];
  });
  if (cand.empty()) {
    r.status = first_error.empty() ? "infeasible" : "error";
    r.least_bytes_per_device = least == kInf ? 0 : least;
    r.message = first_error.empty()
                    ? fmt::format("no plan fits: the job needs at least {:.2f} GiB per device (fully sharded, full "
                                  "recomputation, balanced stages), the devices have {:.2f} GiB",
                                  r.least_bytes_per_device / kGiB, c.device(c.accelerators()[0]).spec.memory_bytes / kGiB)
                    : first_error;
    r.optimization_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  }
  // Confirmation with the simulator: the best `confirm` candidates that
  // simulate ok (a candidate that fails there, a cost-model miss, is replaced
  // by the next), simulated in parallel; the fastest is chosen. UniAP also
  // solves each of those pairs with the gradient reductions priced in line
  // (ReductionPricing::kInLine, an upper bound where the default prices them
  // beside the backward) and confirms that plan too where it differs: the
  // simulator, not one pricing, decides between them. That second solve is
  // the DP's (on a DAG, its chain relaxation's), so it costs milliseconds.
  std::string source = fmt::format("paralab plan train --planner {}", o.planner);
  int want = std::max(1, o.confirm);
  struct Proto {
    size_t pair;
    const CostedInstance* ci;
    SolveResult solve;
    bool hedge;
  };
  std::vector<CostedInstance> hedge_inst(cand.size());
  auto hedge = [&](size_t ci_index) -> std::optional<Proto> {
    size_t i = cand[ci_index];
    CostedInstance& h = hedge_inst[ci_index];
    h = cost_layers(m, c, job, pairs[i].first, pairs[i].second, space, ReductionPricing::kInLine);
    add_edges(m, c, job, &h);
    // The exact DP, whichever solver the pair had: on a DAG over its chain
    // relaxation (a feasible plan, not a proved optimum). A second opinion
    // for the simulator, never a MILP that runs to its time limit.
    const bool chain = h.instance.is_chain();
    SolveResult s = chain ? solve_dp(h.instance) : reevaluate(h.instance, solve_dp(chain_relaxation(h.instance)));
    if (!chain && s.ok()) s.status = "feasible";
    h.instance.edges.clear();
    if (!s.ok()) return std::nullopt;
    // The same plan (strategy indices differ: dominance pruning follows the pricing).
    TrainingPlan a = plan_from_assignment(m, job, h, s.assignment, source),
                 b = plan_from_assignment(m, job, inst[i], sol[i].assignment, source);
    auto starts = [](const TrainingPlan& p) {
      std::vector<int> v;
      for (const PipelineStage& st : p.stages) v.push_back(st.first_layer);
      return v;
    };
    if (a.layers == b.layers && starts(a) == starts(b)) return std::nullopt;
    return Proto{i, &h, s, true};
  };
  int best_idx = -1, regular = 0;
  for (size_t next = 0; next < cand.size() && regular < want;) {
    size_t batch = std::min(cand.size() - next, size_t(want - regular));
    std::vector<Proto> protos;
    for (size_t b = 0; b < batch; ++b) protos.push_back({cand[next + b], &inst[cand[next + b]], sol[cand[next + b]], false});
    if (o.planner == "uniap" && o.confirm > 0) {
      std::vector<std::optional<Proto>> hs(batch);
      run_parallel(threads, batch, [&](size_t b) { hs[b] = hedge(next + b); });
      for (auto& h : hs)
        if (h) protos.push_back(*h);
    }
    std::vector<Candidate> ks(protos.size());
    std::vector<TrainingResult> trs(protos.size());
    run_parallel(o.confirm == 0 ? 1 : threads, protos.size(), [&](size_t b) {
      const Proto& pr = protos[b];
      Candidate& k = ks[b];
      k.pp = pairs[pr.pair].first;
      k.micro_batches = pairs[pr.pair].second;
      k.solve = pr.solve;
      k.reductions_in_line = pr.hedge;
      k.plan = plan_from_assignment(m, job, *pr.ci, pr.solve.assignment, source);
      if (o.confirm == 0) return;
      TrainingSimOptions so;
      so.detailed = false;
      so.collectives = o.confirm_collectives;
      trs[b] = simulate_training(k.plan, m, c, so);
      k.sim_status = trs[b].status;
      k.simulated_iteration_seconds = trs[b].iteration_seconds;
    });
    next += batch;
    if (o.confirm == 0) {
      r.confirmed.push_back(std::move(ks[0]));
      best_idx = 0;
      break;
    }
    for (size_t b = 0; b < protos.size(); ++b) {
      if (trs[b].status != "ok") continue;  // a cost-model miss (oom): try the next candidate
      regular += !protos[b].hedge;
      r.confirmed.push_back(std::move(ks[b]));
      if (best_idx < 0 || trs[b].iteration_seconds < r.simulation.iteration_seconds) {
        best_idx = int(r.confirmed.size()) - 1;
        r.simulation = std::move(trs[b]);
      }
    }
  }
  if (best_idx < 0) {
    r.status = "infeasible";
    r.message = "every candidate plan failed in the simulator (out of memory)";
    r.optimization_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  }
  const Candidate& chosen = r.confirmed[best_idx];
  r.status = "ok";
  r.plan = chosen.plan;
  r.solver_status = chosen.solve.status;
  r.gap = chosen.solve.gap;
  // A pair stopped by the time limit with a bound below the best objective
  // might hold a better plan: the search as a whole is then time-limited,
  // with the gap to the least bound (the chosen pair's own status would
  // hide it).
  double least_bound = best;
  for (size_t i = 0; i < pairs.size(); ++i)
    if (sol[i].status == "time_limit") least_bound = std::min(least_bound, sol[i].bound_seconds);
  if (least_bound < best * (1 - 1e-9)) {
    r.solver_status = "time_limit";
    r.gap = (best - least_bound) / best;
  }
  r.predicted_iteration_seconds = chosen.solve.objective_seconds;
  r.simulated_iteration_seconds = chosen.simulated_iteration_seconds;
  r.samples_per_second = r.simulated_iteration_seconds > 0 ? double(job.global_batch) / r.simulated_iteration_seconds : 0;
  std::stable_sort(r.confirmed.begin(), r.confirmed.end(), [](const Candidate& a, const Candidate& b) {
    return a.simulated_iteration_seconds < b.simulated_iteration_seconds;
  });
  r.optimization_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

RunRecord planner_run_record(const PlannerResult& r, const ModelGraph& m, const Cluster& c) {
  RunRecord rec;
  if (r.status == "ok") {
    rec = training_run_record(r.simulation, r.plan, m, c);
  } else {
    rec.model = m.name();
    rec.set_cluster(c);
    rec.status = r.status == "infeasible" ? "infeasible" : "error";
    rec.message = r.message;
  }
  rec.metrics["planner"] = planner_result_json(r);
  // The confirmation mode is in the command's JSON; the record keeps the
  // fields its baselines (results/baselines/ci.json) compare.
  rec.metrics["planner"].erase("confirm_collectives");
  return rec;
}

Json planner_result_json(const PlannerResult& r) {
  Json j;
  j["status"] = r.status;
  if (!r.message.empty()) j["message"] = r.message;
  j["planner"] = r.planner;
  j["solver"] = r.solver;
  j["solver_status"] = r.solver_status;
  j["confirm_collectives"] = r.confirm_collectives;
  j["gap"] = r.gap;
  j["predicted_iteration_seconds"] = r.predicted_iteration_seconds;
  j["simulated_iteration_seconds"] = r.simulated_iteration_seconds;
  j["samples_per_second"] = r.samples_per_second;
  j["pairs_total"] = r.pairs_total;
  j["pairs_solved"] = r.pairs_solved;
  j["pairs_pruned"] = r.pairs_pruned;
  j["max_strategies_per_layer"] = r.max_strategies_per_layer;
  if (r.status == "infeasible") j["least_bytes_per_device"] = r.least_bytes_per_device;
  Json cands = Json::array();
  for (const Candidate& k : r.confirmed) {
    Json x;
    x["pipeline_degree"] = k.pp;
    x["micro_batches"] = k.micro_batches;
    x["predicted_iteration_seconds"] = k.solve.objective_seconds;
    x["simulated_iteration_seconds"] = k.simulated_iteration_seconds;
    x["solver_status"] = k.solve.status;
    if (k.reductions_in_line) x["reductions_priced_in_line"] = true;
    cands.push_back(x);
  }
  j["candidates"] = cands;
  if (r.status == "ok") {
    Json mem = Json::array();
    for (const auto& s : r.simulation.memory) mem.push_back(s);
    j["memory"] = mem;
    j["plan"] = plan_to_json(r.plan);
  }
  j["timing"]["optimization_seconds"] = r.optimization_seconds;
  j["timing"]["search_seconds"] = r.search_seconds;
  j["timing"]["pairs_solved"] = r.pairs_solved_wall;  // includes pairs solved before the final bound was known
  return j;
}

}  // namespace paralab::planner
