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
int pop_lowest(std::vector<int>& ids) {
  std::pop_heap(ids.begin(), ids.end(), std::greater<int>());
  int id = ids.back();
  ids.pop_back();
  return id;
}
void push_id(std::vector<int>& ids, int id) {
  ids.push_back(id);
  std::push_heap(ids.begin(), ids.end(), std::greater<int>());
}
}  // namespace

int MaxMinSolver::add_resource(double capacity_bytes_per_s) {
  assert(capacity_bytes_per_s > 0);  // a zero-capacity resource would stall its flows forever
  Res r;
  r.cap = capacity_bytes_per_s;
  res_.push_back(r);
  rcold_.emplace_back();
  rentries_.emplace_back();
  return int(res_.size() - 1);
}

// Re-lays the flow pool out with a stride that fits `need` resources.
void MaxMinSolver::grow_stride(int need) {
  int stride = stride_;
  while (stride < need) stride *= 2;
  std::vector<int> path(plen_.size() * size_t(stride));
  for (size_t f = 0; f < plen_.size(); ++f)
    for (int i = 0; i < plen_[f]; ++i) path[f * stride + i] = path_[f * stride_ + i];
  path_ = std::move(path);
  stride_ = stride;
}

// ---- class bookkeeping ----------------------------------------------------

int MaxMinSolver::find_entry(int c, int r) const {
  for (const ResEntry& e : rentries_[r])
    if (e.c == c) return e.cpos;
  return -1;
}

void MaxMinSolver::entry_add(int c, int r) {
  int i = find_entry(c, r);
  if (i >= 0) {
    centries_[c][i].n++;
    return;
  }
  centries_[c].push_back({r, int(rentries_[r].size()), 1, 0, 0});
  rentries_[r].push_back({c, int(centries_[c].size() - 1)});
}

void MaxMinSolver::entry_sub(int c, int r) {
  const int i = find_entry(c, r);
  assert(i >= 0);
  auto& cl = centries_[c];
  if (--cl[i].n > 0) return;
  auto& rl = rentries_[r];
  const int rpos = cl[i].rpos;
  rl[rpos] = rl.back();
  rl.pop_back();
  if (size_t(rpos) < rl.size()) centries_[rl[rpos].c][rl[rpos].cpos].rpos = rpos;
  cl[i] = cl.back();
  cl.pop_back();
  if (size_t(i) < cl.size()) rentries_[cl[i].r][cl[i].rpos].cpos = i;
}

int MaxMinSolver::new_class(double level) {
  int c;
  if (!free_classes_.empty()) {
    c = free_classes_.back();
    free_classes_.pop_back();
  } else {
    c = int(ch_.size());
    ch_.emplace_back();
    cmembers_.emplace_back();
    centries_.emplace_back();
  }
  ch_[c].level = level;
  ch_[c].fresh = 0;
  return c;
}

void MaxMinSolver::join(int f, int c) {
  cls_[f] = c;
  mpos_[f] = int(cmembers_[c].size());
  cmembers_[c].push_back(f);
  const int* p = path(f);
  if (cmembers_[c].size() == 1) {  // an empty class has no entries to look up
    for (int i = 0; i < plen_[f]; ++i) {
      const int r = p[i];
      centries_[c].push_back({r, int(rentries_[r].size()), 1, 0, 0});
      rentries_[r].push_back({c, int(centries_[c].size() - 1)});
    }
    return;
  }
  for (int i = 0; i < plen_[f]; ++i) entry_add(c, p[i]);
}

// Takes f out of its class; frees the class when it empties.
void MaxMinSolver::leave(int f) {
  const int c = cls_[f];
  auto& m = cmembers_[c];
  const int pos = mpos_[f];
  m[pos] = m.back();
  mpos_[m[pos]] = pos;
  m.pop_back();
  cls_[f] = -1;
  if (m.empty()) {  // the last member: drop the class's entries without look-ups
    for (const ClassEntry& e : centries_[c]) {
      auto& rl = rentries_[e.r];
      rl[e.rpos] = rl.back();
      rl.pop_back();
      if (size_t(e.rpos) < rl.size()) centries_[rl[e.rpos].c][rl[e.rpos].cpos].rpos = e.rpos;
    }
    centries_[c].clear();
    free_classes_.push_back(c);
    return;
  }
  const int* p = path(f);
  for (int i = 0; i < plen_[f]; ++i) entry_sub(c, p[i]);
}

// ---- flows ----------------------------------------------------------------

int MaxMinSolver::add_flow(std::span<const int> resources) {
  if (int(resources.size()) > stride_) grow_stride(int(resources.size()));
  int f;
  if (!free_slots_.empty()) {
    f = pop_lowest(free_slots_);
  } else {
    f = int(plen_.size());
    plen_.push_back(0);
    cls_.push_back(-1);
    mpos_.push_back(0);
    ffrozen_.push_back(0);
    fmoved_.push_back(0);
    active_.push_back(0);
    fresh_.push_back(0);
    path_.resize(path_.size() + stride_);
  }
  plen_[f] = int(resources.size());
  active_[f] = 1;
  fresh_[f] = 1;
  double theta = std::numeric_limits<double>::infinity();
  int* p = path(f);
  for (size_t i = 0; i < resources.size(); ++i) {
    const int r = resources[i];
    p[i] = r;
    theta = std::min(theta, res_[r].cap / double(++res_[r].nflows));
    dirty_.push_back(r);
  }
  const int c = new_class(0.0);  // a class of its own until solved
  ch_[c].fresh = 1;
  join(f, c);
  theta_ = std::min(theta_, theta);
  fresh_list_.push_back(f);
  ++num_active_;
  return f;
}

void MaxMinSolver::remove_flow(int f) {
  assert(active_[f]);
  const double rate = ch_[cls_[f]].level;
  theta_ = std::min(theta_, fresh_[f] ? 0.0 : rate);
  const int* p = path(f);
  for (int i = 0; i < plen_[f]; ++i) {
    const int r = p[i];
    res_[r].load -= rate;
    res_[r].nflows--;
    dirty_.push_back(r);
  }
  leave(f);
  active_[f] = 0;
  fresh_[f] = 0;
  plen_[f] = 0;
  --num_active_;
  push_id(free_slots_, f);
}

// ---- the fill -------------------------------------------------------------

// Every unfrozen member of class c freezes at `share`.
void MaxMinSolver::freeze_class(int c, double share) {
  ch_[c].frozen = fill_epoch_;
  ch_[c].left = 0;
  for (const ClassEntry& e : centries_[c]) {
    const int m = e.n - (e.stamp == fill_epoch_ ? e.split : 0);
    if (m == 0) continue;
    const int q = e.r;
    res_[q].rem -= share * m;
    res_[q].cnt -= m;
    if (res_[q].cnt > 0) {
      res_[q].share = std::max(res_[q].rem, 0.0) / res_[q].cnt;
    } else {
      res_[q].share = kNoShare;
      ++dead_;
    }
  }
}

// Flow f freezes at `share` apart from the rest of its class.
void MaxMinSolver::freeze_flow(int f, double share) {
  ffrozen_[f] = fill_epoch_;
  const int c = cls_[f];
  ch_[c].left--;
  const int* p = path(f);
  for (int i = 0; i < plen_[f]; ++i) {
    const int q = p[i];
    res_[q].rem -= share;
    if (--res_[q].cnt > 0) {
      res_[q].share = std::max(res_[q].rem, 0.0) / res_[q].cnt;
    } else {
      res_[q].share = kNoShare;
      ++dead_;
    }
    ClassEntry& e = centries_[c][find_entry(c, q)];
    if (e.stamp != fill_epoch_) {
      e.stamp = fill_epoch_;
      e.split = 0;
    }
    e.split++;
  }
}

// Resource r saturates at `share`: every unfrozen flow of the fill on it
// freezes there — whole classes when all their unfrozen members cross r,
// single flows otherwise — and `share` is its level. The decisions are
// logged; apply() moves flows between classes once the fill stands.
void MaxMinSolver::saturate(int r, double share) {
  res_[r].level = share;
  rcold_[r].satfill = fill_epoch_;
  const size_t wb = whole_log_.size(), sb = split_log_.size();
  split_classes_.clear();
  ++split_epoch_;
  for (const ResEntry& re : rentries_[r]) {
    const int c = re.c;
    if (ch_[c].fill != epoch_ || ch_[c].frozen == fill_epoch_) continue;
    const ClassEntry& e = centries_[c][re.cpos];
    const int n = e.n - (e.stamp == fill_epoch_ ? e.split : 0);
    if (n == 0) continue;
    if (n == ch_[c].left) {
      freeze_class(c, share);
      whole_log_.push_back(c);
    } else {
      ch_[c].split = split_epoch_;
      split_classes_.push_back(c);
    }
  }
  // The members of a splitting class that cross r (classes split rarely, so
  // a walk over their members beats keeping each resource's flow list).
  for (int c : split_classes_)
    for (int f : cmembers_[c]) {
      if (ffrozen_[f] == fill_epoch_) continue;
      const int* p = path(f);
      if (std::find(p, p + plen_[f], r) == p + plen_[f]) continue;
      freeze_flow(f, share);
      split_log_.push_back(f);
    }
  sat_log_.push_back({r, share, wb, whole_log_.size(), sb, split_log_.size()});
  res_[r].cnt = 0;
  res_[r].share = kNoShare;
}

// True if `share` would bind a class kept out of the fill on resource r at a
// higher level: the fill's guess that r binds nobody was wrong.
bool MaxMinSolver::binds_kept_class(int r, double share) const {
  if (rcold_[r].fullmark == epoch_) return false;  // every class at or above θ is in the fill
  // Expanded at its level: the fastest class kept out then bounds every kept
  // one (classes only join the fill later), so most checks need no scan.
  if (res_[r].xmark == epoch_ && rcold_[r].kept_max <= share * (1 + 1e-9)) return false;
  for (const ResEntry& e : rentries_[r])
    if (ch_[e.c].fill != epoch_ && ch_[e.c].level > share * (1 + 1e-9)) return true;
  return false;
}

// Few resources: a linear scan for the smallest share beats heap upkeep.
// Resources whose flows are all frozen have share kNoShare and never win;
// they are swept out once they are half the list. Ties go to the earlier
// entry (the list's order is deterministic). Returns -1, or a resource (not
// fully expanded) that binds a kept class repair() could not take in.
int MaxMinSolver::fill_by_scan() {
  for (int r : live_res_) res_[r].share = std::max(res_[r].rem, 0.0) / res_[r].cnt;
  dead_ = 0;
  for (;;) {
    const int* ids = live_res_.data();
    const Res* res = res_.data();
    const size_t n = live_res_.size();
    size_t best = n;
    double best_share = kNoShare;
    for (size_t i = 0; i < n; ++i) {
      const double x = res[ids[i]].share;
      if (x < best_share) {
        best_share = x;
        best = i;
      }
    }
    if (best == n) return -1;
    const int r = live_res_[best];
    if (binds_kept_class(r, best_share)) {
      if (!repair(r, best_share)) return r;
      dead_ = 0;
      continue;
    }
    saturate(r, best_share);
    if (2 * dead_ > n) {
      std::erase_if(live_res_, [&](int q) { return res_[q].share == kNoShare; });
      dead_ = 0;
    }
  }
}

// Many resources: a heap of shares. Progressive filling only raises a
// resource's share (rem - l over cnt - 1 >= rem / cnt when l is the smallest
// share), so a stored share is a lower bound of the current one: a popped
// entry whose share has grown is pushed back with the new value, and one
// that has not is the true minimum. Ties break by resource id. Returns as
// fill_by_scan.
int MaxMinSolver::fill_by_heap() {
  heap_.clear();
  for (int r : live_res_) heap_.push_back({std::max(res_[r].rem, 0.0) / res_[r].cnt, r});
  std::make_heap(heap_.begin(), heap_.end(), later<HeapEntry, HeapEntry>);
  while (!heap_.empty()) {
    std::pop_heap(heap_.begin(), heap_.end(), later<HeapEntry, HeapEntry>);
    const HeapEntry e = heap_.back();
    heap_.pop_back();
    if (res_[e.r].cnt <= 0) continue;
    const double share = std::max(res_[e.r].rem, 0.0) / res_[e.r].cnt;
    if (share > e.share) {
      heap_.push_back({share, e.r});
      std::push_heap(heap_.begin(), heap_.end(), later<HeapEntry, HeapEntry>);
      continue;
    }
    if (binds_kept_class(e.r, share)) {
      if (!repair(e.r, share)) return e.r;
      heap_.clear();
      for (int r : live_res_) heap_.push_back({std::max(res_[r].rem, 0.0) / res_[r].cnt, r});
      std::make_heap(heap_.begin(), heap_.end(), later<HeapEntry, HeapEntry>);
      continue;
    }
    saturate(e.r, share);
  }
  return -1;
}

// The fill reached resource r at `share` and found classes kept out on r
// above it. Rather than redo the fill, take them in now: a class above the
// current share has no member that would have frozen earlier, provided it
// crosses no resource that already saturated in this fill, and adding it
// only moves the shares of the resources it crosses toward its level, which
// is above every level frozen so far — so the fill so far is the one it
// would have been with the class in from the start. The classes that newly
// reached saturated resources bind come in too (partial expansion), under
// the same test. Returns false, changing nothing, when the test fails;
// solve() then redoes the fill. On success the live resources are rebuilt
// with their shares.
bool MaxMinSolver::repair(int r, double share) {
  const double above = share * (1 + 1e-9);
  ++repair_epoch_;
  closure_.clear();
  newly_.clear();
  for (const ResEntry& e : rentries_[r])
    if (ch_[e.c].fill != epoch_ && ch_[e.c].level > above && ch_[e.c].repair != repair_epoch_) {
      ch_[e.c].repair = repair_epoch_;
      closure_.push_back(e.c);
    }
  for (size_t i = 0; i < closure_.size(); ++i) {
    for (const ClassEntry& e : centries_[closure_[i]]) {
      Res& q = res_[e.r];
      ResCold& qc = rcold_[e.r];
      if (qc.satfill == fill_epoch_) return false;
      if (q.rmark == epoch_ || qc.newmark == repair_epoch_) continue;
      qc.newmark = repair_epoch_;
      newly_.push_back(e.r);
      if (!q.sat) continue;
      const double cut = std::max(theta_fill_, q.level * (1 - 1e-9));
      for (const ResEntry& x : rentries_[e.r]) {
        Cls& k = ch_[x.c];
        if (k.fill == epoch_ || k.repair == repair_epoch_ || k.level < cut) continue;
        if (k.level <= above) return false;
        k.repair = repair_epoch_;
        closure_.push_back(x.c);
      }
    }
  }
  for (int q : newly_) {
    Res& x = res_[q];
    x.rmark = epoch_;
    reach_res_.push_back(q);
    x.rem = x.cap - x.load;
    x.cnt = 0;
    if (x.sat) x.xmark = epoch_;
  }
  for (int c : closure_) {
    add_class(c);
    ch_[c].left = int(cmembers_[c].size());
  }
  // Kept classes left on r and on the newly expanded resources.
  auto set_kept_max = [&](int q) {
    double kept_max = 0;
    for (const ResEntry& x : rentries_[q])
      if (ch_[x.c].fill != epoch_) kept_max = std::max(kept_max, ch_[x.c].level);
    res_[q].xmark = epoch_;
    rcold_[q].kept_max = kept_max;
  };
  set_kept_max(r);
  for (int q : newly_)
    if (res_[q].sat) set_kept_max(q);
  live_res_.clear();
  for (int q : reach_res_)
    if (res_[q].cnt > 0) {
      live_res_.push_back(q);
      res_[q].share = std::max(res_[q].rem, 0.0) / res_[q].cnt;
    }
  return true;
}

void MaxMinSolver::reach(int r) {
  Res& q = res_[r];
  if (q.rmark == epoch_) return;
  q.rmark = epoch_;
  reach_res_.push_back(r);
  // Residual capacity: the capacity minus the rates of the classes kept out
  // of the fill (add_class gives back the rates of those it takes in).
  q.rem = q.cap - q.load;
  q.cnt = 0;
  if (q.sat) expand_q_.push_back(r);
}

// Partial expansion takes in the classes at r's level (the ones r binds)
// that are at or above θ; a full one, every class at or above θ. Classes
// below r's level are bottlenecked elsewhere and stay out unless the fill
// would push r's level under them (binds_kept_class), which asks for a full
// expansion.
void MaxMinSolver::expand(int r, double theta, bool full) {
  if (rcold_[r].fullmark == epoch_ || (!full && res_[r].xmark == epoch_)) return;
  res_[r].xmark = epoch_;
  if (full) rcold_[r].fullmark = epoch_;
  reach(r);
  // r's level from the fill that last saturated it (0, i.e. every class at
  // or above θ, when unknown); a stale level only costs a redo, since
  // binds_kept_class checks the classes kept out exactly.
  const double cut = full ? theta : std::max(theta, res_[r].level * (1 - 1e-9));
  double kept_max = 0;
  const ResEntry* entries = rentries_[r].data();  // add_class leaves the lists alone
  const size_t n = rentries_[r].size();
  for (size_t i = 0; i < n; ++i) {
    const int c = entries[i].c;
    const Cls& k = ch_[c];
    if (k.fill == epoch_) continue;
    if (k.fresh || k.level >= cut)
      add_class(c);
    else
      kept_max = std::max(kept_max, k.level);
  }
  rcold_[r].kept_max = kept_max;
}

void MaxMinSolver::add_class(int c) {
  if (ch_[c].fill == epoch_) return;
  ch_[c].fill = epoch_;
  comp_.push_back(c);
  const double level = ch_[c].level;
  for (const ClassEntry& e : centries_[c]) {
    Res& q = res_[e.r];
    if (q.rmark != epoch_) reach(e.r);
    q.rem += level * e.n;
    q.cnt += e.n;
  }
}

void MaxMinSolver::report_moved(int f, Changes* changes) {
  if (fmoved_[f] == epoch_) return;
  fmoved_[f] = epoch_;
  changes->moved.push_back(f);
}

// The fill stands: give every class frozen whole its new level and move the
// flows frozen one by one into the class of the resource they froze at
// (classes frozen whole at one resource merge into the largest of them).
void MaxMinSolver::apply(Changes* changes) {
  for (const Saturation& s : sat_log_) {
    if (s.whole_begin == s.whole_end && s.split_begin == s.split_end) continue;
    int target = -1;
    for (size_t i = s.whole_begin; i < s.whole_end; ++i) {
      const int c = whole_log_[i];
      if (target < 0 || cmembers_[c].size() > cmembers_[target].size() ||
          (cmembers_[c].size() == cmembers_[target].size() && c < target))
        target = c;
    }
    if (target < 0) {
      target = new_class(s.share);
    } else if (ch_[target].fresh) {
      ch_[target].level = s.share;
      ch_[target].fresh = 0;
    } else if (std::abs(s.share - ch_[target].level) > 1e-12 * ch_[target].level) {
      // Within 1e-12 (relative) it is numerical noise of the re-solve, not a
      // change: keeping the level avoids re-arming the members' events.
      ch_[target].level = s.share;
      changes->relevelled.push_back(target);
    }
    for (size_t i = s.whole_begin; i < s.whole_end; ++i) {
      const int c = whole_log_[i];
      if (c == target) continue;
      while (!cmembers_[c].empty()) {
        const int f = cmembers_[c].back();
        leave(f);
        join(f, target);
        report_moved(f, changes);
      }
    }
    for (size_t i = s.split_begin; i < s.split_end; ++i) {
      const int f = split_log_[i];
      leave(f);
      join(f, target);
      report_moved(f, changes);
    }
  }
  for (int f : fresh_list_) {
    if (!active_[f] || !fresh_[f]) continue;
    fresh_[f] = 0;
    report_moved(f, changes);
  }
}

void MaxMinSolver::solve(Changes* changes) {
  if (dirty_.empty()) return;
  ++epoch_;
  // Classes slower than θ keep their levels (see the header); the margin
  // keeps classes at θ up to rounding in the re-solved part.
  const double theta = theta_ * (1 - 1e-9);
  theta_fill_ = theta;
  theta_ = std::numeric_limits<double>::infinity();
  reach_res_.clear();
  comp_.clear();
  expand_q_.clear();
  for (int f : fresh_list_)
    if (active_[f] && fresh_[f]) add_class(cls_[f]);
  for (int r : dirty_)
    if (res_[r].sat) expand_q_.push_back(r);
  dirty_.clear();
  for (;;) {
    for (size_t i = 0; i < expand_q_.size(); ++i) expand(expand_q_[i], theta, false);
    expand_q_.clear();
    live_res_.clear();
    for (int r : reach_res_)
      if (res_[r].cnt > 0) live_res_.push_back(r);
    ++fill_epoch_;
    for (int c : comp_) ch_[c].left = int(cmembers_[c].size());
    sat_log_.clear();
    whole_log_.clear();
    split_log_.clear();
    const int wrong = live_res_.size() <= scan_limit_ ? fill_by_scan() : fill_by_heap();
    if (wrong < 0) break;
    // Redo: restore the residual capacities the failed fill consumed.
    for (int r : reach_res_) {
      res_[r].rem = res_[r].cap - res_[r].load;
      res_[r].cnt = 0;
    }
    for (int c : comp_)
      for (const ClassEntry& e : centries_[c]) {
        res_[e.r].rem += ch_[c].level * e.n;
        res_[e.r].cnt += e.n;
      }
    expand(wrong, theta, true);
  }
  classes_visited_ += comp_.size();
  for (int c : comp_) visited_total_ += cmembers_[c].size();
  apply(changes);
  fresh_list_.clear();
  // Every flow on a reached resource is either kept or frozen (subtracted by
  // the freezes), so the load is what is left unused.
  for (int r : reach_res_) {
    res_[r].load = res_[r].nflows == 0 ? 0.0 : std::max(0.0, res_[r].cap - res_[r].rem);
    res_[r].sat = res_[r].nflows > 0 && res_[r].rem <= 1e-9 * res_[r].cap;
  }
}

void MaxMinSolver::solve(std::vector<int>* changed) {
  Changes changes;
  solve(&changes);
  for (int f : changes.moved) changed->push_back(f);
  for (int c : changes.relevelled)
    for (int f : cmembers_[c])
      if (fmoved_[f] != epoch_) {
        fmoved_[f] = epoch_;
        changed->push_back(f);
      }
}

}  // namespace paralab::sim
