// The nearest valid name to a misspelled one, for "did you mean" messages:
// an unknown JSON key ("link_overide" -> "link_overrides") or an unknown
// command-line option ("--sequence-paralel" -> "--sequence-parallel").
//
// Distance is the Levenshtein edit distance (insert, delete, substitute one
// character), compared case-insensitively. A candidate counts as near when
// its distance is at most max(2, length / 3) of the longer name, or when one
// name is a prefix of the other ("--global-batch-size" -> "--global-batch").
// Ties go to the earliest candidate, so the answer is deterministic.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

namespace paralab {

size_t edit_distance(const std::string& a, const std::string& b);

// The nearest near candidate, or "" when none is near.
std::string nearest_name(const std::string& name, const std::vector<std::string>& candidates);

// "; did you mean 'x'?" when a candidate is near, else "".
std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace paralab
