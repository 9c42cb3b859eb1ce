#include "sim/maxmin_solver.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <functional>

namespace paralab::sim {

namespace {
bool later(const auto& a, const auto& b) {  // min-heap on (share, resource id)
  return a.share > b.share || (a.share == b.share && a.r > b.r);
}
}  // namespace

int MaxMinSolver::add_resource(double capacity_bytes_per_s) {
  assert(capacity_bytes_per_s > 0);  // a zero-capacity resource would stall its flows forever
  cap_.push_back(capacity_bytes_per_s);
  load_.push_back(0);
  rem_.push_back(0);
  share_.push_back(kNoShare);
  level_.push_back(0);
  kept_max_.push_back(0);
  cnt_.push_back(0);
  rmark_.push_back(0);
  xmark_.push_back(0);
  fullmark_.push_back(0);
  sat_.push_back(0);
  rflows_.emplace_back();
  return int(cap_.size() - 1);
}

// Re-lays the flow pool out with a stride that fits `need` resources.
void MaxMinSolver::grow_stride(int need) {
  int stride = stride_;
  while (stride < need) stride *= 2;
  std::vector<int> path(plen_.size() * size_t(stride)), slot(plen_.size() * size_t(stride));
  for (size_t f = 0; f < plen_.size(); ++f)
    for (int i = 0; i < plen_[f]; ++i) {
      path[f * stride + i] = path_[f * stride_ + i];
      slot[f * stride + i] = slot_[f * stride_ + i];
    }
  path_ = std::move(path);
  slot_ = std::move(slot);
  stride_ = stride;
}

int MaxMinSolver::add_flow(std::span<const int> resources) {
  if (int(resources.size()) > stride_) grow_stride(int(resources.size()));
  int f;
  if (!free_slots_.empty()) {
    std::pop_heap(free_slots_.begin(), free_slots_.end(), std::greater<int>());
    f = free_slots_.back();
    free_slots_.pop_back();
  } else {
    f = int(plen_.size());
    plen_.push_back(0);
    rate_.push_back(0);
    next_.push_back(0);
    fmark_.push_back(0);
    frozen_.push_back(0);
    active_.push_back(0);
    fresh_.push_back(0);
    path_.resize(path_.size() + stride_);
    slot_.resize(slot_.size() + stride_);
  }
  plen_[f] = int(resources.size());
  rate_[f] = 0;
  active_[f] = 1;
  fresh_[f] = 1;
  double theta = std::numeric_limits<double>::infinity();
  int* p = path(f);
  int* s = slot(f);
  for (size_t i = 0; i < resources.size(); ++i) {
    int r = resources[i];
    auto& list = rflows_[r];
    p[i] = r;
    s[i] = int(list.size());
    list.push_back(f);
    theta = std::min(theta, cap_[r] / double(list.size()));
    dirty_.push_back(r);
  }
  theta_ = std::min(theta_, theta);
  fresh_list_.push_back(f);
  ++num_active_;
  return f;
}

void MaxMinSolver::remove_flow(int f) {
  assert(active_[f]);
  theta_ = std::min(theta_, fresh_[f] ? 0.0 : rate_[f]);
  for (int i = 0; i < plen_[f]; ++i) load_[path(f)[i]] -= rate_[f];
  const int* p = path(f);
  const int* s = slot(f);
  for (int i = 0; i < plen_[f]; ++i) {
    const int r = p[i], pos = s[i];
    auto& list = rflows_[r];
    const int moved = list.back();
    list[pos] = moved;
    list.pop_back();
    if (moved != f) {
      const int* mp = path(moved);
      for (int j = 0;; ++j)
        if (mp[j] == r) {
          slot(moved)[j] = pos;
          break;
        }
    }
    dirty_.push_back(r);
  }
  active_[f] = 0;
  fresh_[f] = 0;
  rate_[f] = 0;
  plen_[f] = 0;
  --num_active_;
  free_slots_.push_back(f);
  std::push_heap(free_slots_.begin(), free_slots_.end(), std::greater<int>());
}

void MaxMinSolver::freeze(int f, double share) {
  frozen_[f] = fill_epoch_;
  next_[f] = share;
  const int* p = path(f);
  for (int i = 0; i < plen_[f]; ++i) {
    const int q = p[i];
    rem_[q] -= share;
    share_[q] = --cnt_[q] > 0 ? std::max(rem_[q], 0.0) / cnt_[q] : kNoShare;
  }
}

// Resource r saturates at `share`: every unfrozen flow of the fill on it
// freezes there, and `share` is its level.
void MaxMinSolver::saturate(int r, double share) {
  level_[r] = share;
  for (int f : rflows_[r])
    if (fmark_[f] == epoch_ && frozen_[f] != fill_epoch_) freeze(f, share);
  cnt_[r] = 0;
  share_[r] = kNoShare;
}

// True if `share` would bind a flow kept out of the fill on resource r at a
// higher rate: the fill's guess that r binds nobody was wrong.
bool MaxMinSolver::binds_kept_flow(int r, double share) const {
  if (fullmark_[r] == epoch_) return false;  // every flow at or above θ is in the fill
  // Expanded at its level: the fastest flow kept out then bounds every kept
  // one (flows only join the fill later), so most checks need no scan.
  if (xmark_[r] == epoch_ && kept_max_[r] <= share * (1 + 1e-9)) return false;
  for (int f : rflows_[r])
    if (fmark_[f] != epoch_ && rate_[f] > share * (1 + 1e-9)) return true;
  return false;
}

// Few resources: a linear scan for the smallest share beats heap upkeep.
// Returns -1, or a resource (not fully expanded) that binds a kept flow.
int MaxMinSolver::fill_by_scan() {
  for (int r : live_res_) share_[r] = std::max(rem_[r], 0.0) / cnt_[r];
  for (;;) {
    int best = -1;
    double best_share = kNoShare;
    for (size_t i = 0; i < live_res_.size();) {
      const int r = live_res_[i];
      const double share = share_[r];
      if (share == kNoShare) {  // all its flows frozen: drop it
        live_res_[i] = live_res_.back();
        live_res_.pop_back();
        continue;
      }
      if (share < best_share || (share == best_share && r < best)) {
        best = r;
        best_share = share;
      }
      ++i;
    }
    if (best < 0) return -1;
    if (binds_kept_flow(best, best_share)) return best;
    saturate(best, best_share);
  }
}

// Many resources: a heap of shares. Progressive filling only raises a
// resource's share (rem - l over cnt - 1 >= rem / cnt when l is the smallest
// share), so a stored share is a lower bound of the current one: a popped
// entry whose share has grown is pushed back with the new value, and one
// that has not is the true minimum. Ties break by resource id.
int MaxMinSolver::fill_by_heap() {
  heap_.clear();
  for (int r : live_res_) heap_.push_back({std::max(rem_[r], 0.0) / cnt_[r], r});
  std::make_heap(heap_.begin(), heap_.end(), later<HeapEntry, HeapEntry>);
  while (!heap_.empty()) {
    std::pop_heap(heap_.begin(), heap_.end(), later<HeapEntry, HeapEntry>);
    const HeapEntry e = heap_.back();
    heap_.pop_back();
    if (cnt_[e.r] <= 0) continue;
    const double share = std::max(rem_[e.r], 0.0) / cnt_[e.r];
    if (share > e.share) {
      heap_.push_back({share, e.r});
      std::push_heap(heap_.begin(), heap_.end(), later<HeapEntry, HeapEntry>);
      continue;
    }
    if (binds_kept_flow(e.r, share)) return e.r;
    saturate(e.r, share);
  }
  return -1;
}

void MaxMinSolver::reach(int r) {
  if (rmark_[r] == epoch_) return;
  rmark_[r] = epoch_;
  reach_res_.push_back(r);
  // Residual capacity: the capacity minus the rates of the flows kept out of
  // the fill (add_to_fill gives back the rates of those it takes in).
  rem_[r] = cap_[r] - load_[r];
  cnt_[r] = 0;
  if (sat_[r]) expand_q_.push_back(r);
}

// Partial expansion takes in the flows at r's level (the ones r binds) that
// are at or above θ; a full one, every flow at or above θ. Flows below r's
// level are bottlenecked elsewhere and stay out unless the fill would push
// r's level under them (binds_kept_flow), which asks for a full expansion.
void MaxMinSolver::expand(int r, double theta, bool full) {
  if (fullmark_[r] == epoch_ || (!full && xmark_[r] == epoch_)) return;
  xmark_[r] = epoch_;
  if (full) fullmark_[r] = epoch_;
  reach(r);
  // r's level from the fill that last saturated it (0, i.e. every flow at or
  // above θ, when unknown); a stale level only costs a redo, since
  // binds_kept_flow checks the flows kept out exactly.
  const double cut = full ? theta : std::max(theta, level_[r] * (1 - 1e-9));
  double kept_max = 0;
  for (int f : rflows_[r]) {
    if (fmark_[f] == epoch_) continue;
    if (fresh_[f] || rate_[f] >= cut)
      add_to_fill(f);
    else
      kept_max = std::max(kept_max, rate_[f]);
  }
  kept_max_[r] = kept_max;
}

void MaxMinSolver::add_to_fill(int f) {
  fmark_[f] = epoch_;
  comp_flows_.push_back(f);
  const int* p = path(f);
  for (int k = 0; k < plen_[f]; ++k) {
    reach(p[k]);
    rem_[p[k]] += rate_[f];
    cnt_[p[k]]++;
  }
}

void MaxMinSolver::solve(std::vector<int>* changed) {
  if (dirty_.empty()) return;
  ++epoch_;
  // Flows slower than θ keep their rates (see the header); the margin keeps
  // flows at θ up to rounding in the re-solved part.
  const double theta = theta_ * (1 - 1e-9);
  theta_ = std::numeric_limits<double>::infinity();
  reach_res_.clear();
  comp_flows_.clear();
  expand_q_.clear();
  for (int f : fresh_list_)
    if (active_[f] && fresh_[f] && fmark_[f] != epoch_) add_to_fill(f);
  fresh_list_.clear();
  for (int r : dirty_)
    if (sat_[r]) expand_q_.push_back(r);
  dirty_.clear();
  for (;;) {
    for (size_t i = 0; i < expand_q_.size(); ++i) expand(expand_q_[i], theta, false);
    expand_q_.clear();
    live_res_.clear();
    for (int r : reach_res_)
      if (cnt_[r] > 0) live_res_.push_back(r);
    ++fill_epoch_;
    const int wrong = live_res_.size() <= scan_limit_ ? fill_by_scan() : fill_by_heap();
    if (wrong < 0) break;
    // Redo: restore the residual capacities the failed fill consumed.
    for (int r : reach_res_) {
      rem_[r] = cap_[r] - load_[r];
      cnt_[r] = 0;
    }
    for (int f : comp_flows_) {
      const int* p = path(f);
      for (int k = 0; k < plen_[f]; ++k) {
        rem_[p[k]] += rate_[f];
        cnt_[p[k]]++;
      }
    }
    expand(wrong, theta, true);
  }
  visited_total_ += comp_flows_.size();
  for (int f : comp_flows_) {
    // A rate within 1e-12 (relative) of the old one is numerical noise of the
    // re-solve, not a change: keeping it avoids re-arming the flow's event.
    if (fresh_[f] || std::abs(next_[f] - rate_[f]) > 1e-12 * rate_[f]) {
      changed->push_back(f);
      rate_[f] = next_[f];
    }
    fresh_[f] = 0;
  }
  // Every flow on a reached resource is either kept or frozen (subtracted by
  // freeze()), so the load is what is left unused.
  for (int r : reach_res_) {
    load_[r] = rflows_[r].empty() ? 0.0 : std::max(0.0, cap_[r] - rem_[r]);
    sat_[r] = !rflows_[r].empty() && rem_[r] <= 1e-9 * cap_[r];
  }
}

}  // namespace paralab::sim
