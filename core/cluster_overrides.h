// Cluster overrides: the one what-if mechanism. An override edits a cluster
// file by path before it is loaded, so the loader validates the result
// exactly as it validates a file, and the list of overrides is recorded with
// every run made on the cluster.
//
// Syntax (the same in experiment specs and on the command line, `--set`):
//   PATH OP VALUE
//   PATH  := STEP ('.' STEP)*          e.g. links[kind=nvlink].bandwidth_bytes_per_s
//   STEP  := KEY | KEY '[' SEL ']'
//   SEL   := '*' | INDEX | FIELD '=' TEXT   (every element, one element, the
//            elements whose FIELD equals TEXT as a string or a number)
//   OP    := '='  set (a missing last key is added; the loader rejects keys
//                 it does not know)
//          | '*=' scale a number
//          | '+=' add to a number, or append to an array (created if missing)
//   VALUE := JSON (24e9, "text", {"device": 3, "slowdown": 1.5}) or bare text
// A path starts at the file's top level; a first key that is not there but
// is inside "node" (components, links, cpu_cores) is looked up there, so
// `links[kind=pcie]...` and `node.links[kind=pcie]...` are the same.
// Examples:
//   links[kind=nvlink].bandwidth_bytes_per_s*=0.5
//   components[kind=gpu].device.memory_bytes=24e9
//   device_overrides+={"device":3,"slowdown":1.5}     (what --slowdown 3:1.5 writes)
//
// Invariants: 1. applying overrides is a pure function of (file JSON, list);
// 2. an override that selects nothing, names an unknown key, or scales a
// non-number is an InputError naming the override, the file, the JSON path
// reached, and what was there.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "core/json_reader.h"

namespace paralab {

// Applies one override to the cluster file JSON `file` (read from `origin`).
void apply_cluster_override(Json* file, const std::string& override_text, const std::string& origin);
void apply_cluster_overrides(Json* file, const std::vector<std::string>& overrides, const std::string& origin);

// The override --slowdown DEVICE:FACTOR stands for.
std::string slowdown_override(int device, double factor);

// A 128-bit content hash (two FNV-1a 64 streams), as 32 hex digits.
std::string content_hash(const std::string& bytes);

}  // namespace paralab
