#include "sim/maxmin_solver.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <functional>

namespace paralab::sim {

namespace {
template <typename E>
bool later(const E& a, const E& b) {  // min-heap on (share, resource id)
  return a.share > b.share || (a.share == b.share && a.r > b.r);
}
}  // namespace

int MaxMinSolver::add_resource(double capacity_bytes_per_s) {
  assert(capacity_bytes_per_s > 0);  // a zero-capacity resource would stall its flows forever
  Resource r;
  r.capacity = capacity_bytes_per_s;
  res_.push_back(std::move(r));
  return int(res_.size() - 1);
}

void MaxMinSolver::mark_dirty(int r, double theta) {
  dirty_.push_back(r);
  theta_ = std::min(theta_, theta);
}

int MaxMinSolver::add_flow(std::span<const int> resources) {
  int f;
  if (!free_slots_.empty()) {
    std::pop_heap(free_slots_.begin(), free_slots_.end(), std::greater<int>());
    f = free_slots_.back();
    free_slots_.pop_back();
  } else {
    f = int(flows_.size());
    flows_.emplace_back();
  }
  Flow& fl = flows_[f];
  fl.res.clear();
  fl.rate = 0;
  fl.active = true;
  fl.fresh = true;
  double theta = std::numeric_limits<double>::infinity();
  for (int r : resources) {
    auto& list = res_[r].flows;
    fl.res.emplace_back(r, int(list.size()));
    list.push_back(f);
    theta = std::min(theta, res_[r].capacity / double(list.size()));
  }
  for (int r : resources) mark_dirty(r, theta);
  ++num_active_;
  return f;
}

void MaxMinSolver::remove_flow(int f) {
  Flow& fl = flows_[f];
  assert(fl.active);
  double theta = fl.fresh ? 0.0 : fl.rate;
  for (auto [r, pos] : fl.res) {
    auto& list = res_[r].flows;
    int moved = list.back();
    list[pos] = moved;
    list.pop_back();
    if (moved != f)
      for (auto& e : flows_[moved].res)
        if (e.first == r) {
          e.second = pos;
          break;
        }
    mark_dirty(r, theta);
  }
  fl.active = false;
  fl.rate = 0;
  --num_active_;
  free_slots_.push_back(f);
  std::push_heap(free_slots_.begin(), free_slots_.end(), std::greater<int>());
}

void MaxMinSolver::fill_by_heap() {
  heap_.clear();
  for (int r : comp_res_) {
    Resource& R = res_[r];
    if (R.cnt > 0) heap_.push_back({std::max(R.rem, 0.0) / R.cnt, r, ++R.stamp});
  }
  std::make_heap(heap_.begin(), heap_.end(), later<HeapEntry>);
  while (!heap_.empty()) {
    std::pop_heap(heap_.begin(), heap_.end(), later<HeapEntry>);
    auto e = heap_.back();
    heap_.pop_back();
    Resource& R = res_[e.r];
    if (e.stamp != R.stamp || R.cnt == 0) continue;
    const double share = e.share;
    for (int f : R.flows) {
      Flow& fl = flows_[f];
      if (fl.frozen) continue;
      fl.frozen = true;
      fl.next = share;
      for (auto [q, pos] : fl.res) {
        Resource& Q = res_[q];
        Q.rem -= share;
        Q.cnt--;
        if (q != e.r && Q.cnt > 0) {
          heap_.push_back({std::max(Q.rem, 0.0) / Q.cnt, q, ++Q.stamp});
          std::push_heap(heap_.begin(), heap_.end(), later<HeapEntry>);
        }
      }
    }
    R.cnt = 0;
  }
}

// Few resources: a linear scan for the smallest share beats heap upkeep.
void MaxMinSolver::fill_by_scan() {
  for (;;) {
    int best = -1;
    double best_share = 0;
    for (int r : comp_res_) {
      const Resource& R = res_[r];
      if (R.cnt <= 0) continue;
      double share = std::max(R.rem, 0.0) / R.cnt;
      if (best < 0 || share < best_share || (share == best_share && r < best)) {
        best = r;
        best_share = share;
      }
    }
    if (best < 0) return;
    Resource& B = res_[best];
    for (int f : B.flows) {
      Flow& fl = flows_[f];
      if (fl.frozen) continue;
      fl.frozen = true;
      fl.next = best_share;
      for (auto [q, pos] : fl.res) {
        res_[q].rem -= best_share;
        res_[q].cnt--;
      }
    }
    B.cnt = 0;
  }
}

void MaxMinSolver::solve(std::vector<int>* changed) {
  if (dirty_.empty()) return;
  ++epoch_;
  comp_res_.clear();
  comp_flows_.clear();
  for (int r : dirty_)
    if (res_[r].epoch != epoch_) {
      res_[r].epoch = epoch_;
      comp_res_.push_back(r);
    }
  dirty_.clear();
  for (size_t i = 0; i < comp_res_.size(); ++i) {
    for (int f : res_[comp_res_[i]].flows) {
      Flow& fl = flows_[f];
      if (fl.epoch == epoch_) continue;
      fl.epoch = epoch_;
      comp_flows_.push_back(f);
      for (auto [q, pos] : fl.res)
        if (res_[q].epoch != epoch_) {
          res_[q].epoch = epoch_;
          comp_res_.push_back(q);
        }
    }
  }
  visited_total_ += comp_flows_.size();
  for (int r : comp_res_) {
    Resource& R = res_[r];
    R.rem = R.capacity;
    R.cnt = int(R.flows.size());
  }
  // Flows slower than θ keep their rates (see the header).
  const double theta = theta_ * (1 - 1e-9);
  theta_ = std::numeric_limits<double>::infinity();
  for (int f : comp_flows_) {
    Flow& fl = flows_[f];
    fl.frozen = false;
    fl.next = 0;
    if (!fl.fresh && fl.rate < theta) {
      fl.frozen = true;
      fl.next = fl.rate;
      for (auto [q, pos] : fl.res) {
        res_[q].rem -= fl.rate;
        res_[q].cnt--;
      }
    }
  }
  if (comp_res_.size() <= 512)
    fill_by_scan();
  else
    fill_by_heap();
  size_t first_changed = changed->size();
  for (int f : comp_flows_) {
    Flow& fl = flows_[f];
    // A rate within 1e-12 (relative) of the old one is numerical noise of the
    // re-solve, not a change: keeping it avoids re-arming the flow's event.
    if (fl.fresh || std::abs(fl.next - fl.rate) > 1e-12 * fl.rate) {
      changed->push_back(f);
      fl.rate = fl.next;
    }
    fl.fresh = false;
  }
  // Every flow on a component resource was frozen (or pre-frozen) and
  // subtracted its rate from rem, so the load is what is left unused.
  for (int r : comp_res_) {
    Resource& R = res_[r];
    R.load = R.flows.empty() ? 0.0 : std::max(0.0, R.capacity - R.rem);
  }
  (void)first_changed;
}

}  // namespace paralab::sim
