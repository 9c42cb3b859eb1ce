// nearest_name: the valid name closest to a misspelt one (Levenshtein
// distance, ties to the earlier name), for "unknown key 'x'; nearest valid
// key: 'y'" messages. Thread-safety: pure function.
#pragma once

#include <string>
#include <vector>

namespace paralab {

// "" when `valid` is empty.
std::string nearest_name(const std::string& name, const std::vector<std::string>& valid);

}  // namespace paralab
