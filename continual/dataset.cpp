#include "continual/dataset.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cmath>
#include <cstdlib>
#include <map>
#include <numeric>
#include <random>

#include "core/error.h"

namespace paralab::continual {

Dataset synthetic_dataset(const SyntheticSpec& s, uint64_t seed) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 0xC0417ull);
  std::normal_distribution<double> normal(0.0, 1.0);
  Matrix r(s.dim, s.latent);
  for (double& v : r.data) v = normal(rng);
  Matrix means(s.classes, s.latent);
  for (double& v : means.data) v = s.mean_std * normal(rng);
  Dataset d;
  d.name = "synthetic";
  d.num_classes = s.classes;
  d.x = Matrix(static_cast<int64_t>(s.classes) * s.samples_per_class, s.dim);
  const double scale = 1.0 / std::sqrt(static_cast<double>(s.latent));
  std::vector<double> z(static_cast<size_t>(s.latent));
  int64_t row = 0;
  for (int c = 0; c < s.classes; ++c) {
    for (int k = 0; k < s.samples_per_class; ++k, ++row) {
      for (int j = 0; j < s.latent; ++j) z[static_cast<size_t>(j)] = means(c, j) + s.within_class_std * normal(rng);
      for (int i = 0; i < s.dim; ++i) {
        double acc = 0;
        for (int j = 0; j < s.latent; ++j) acc += r(i, j) * z[static_cast<size_t>(j)];
        d.x(row, i) = std::tanh(acc * scale) + s.noise_std * normal(rng);
      }
      d.labels.push_back(c);
    }
  }
  return d;
}

namespace {

std::vector<std::string> read_lines(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");  // reads plain files unchanged
  if (!f) throw InputError(path + ": cannot open (" + std::string(std::strerror(errno)) + ")");
  std::string text;
  char buf[1 << 15];
  int n = 0;
  while ((n = gzread(f, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  int err = 0;
  const char* msg = gzerror(f, &err);
  const std::string why = (n < 0 && msg) ? msg : "";
  gzclose(f);
  if (n < 0) throw InputError(path + ": cannot read (" + why + ")");
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

std::vector<double> parse_fields(const std::string& path, size_t line_no, const std::string& line) {
  std::vector<double> out;
  size_t start = 0;
  while (true) {
    size_t end = line.find(',', start);
    std::string field = line.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const size_t b = field.find_first_not_of(" \t"), e = field.find_last_not_of(" \t");
    field = b == std::string::npos ? "" : field.substr(b, e - b + 1);
    char* stop = nullptr;
    const double v = std::strtod(field.c_str(), &stop);
    if (field.empty() || *stop != '\0' || !std::isfinite(v))
      throw InputError(path + ":" + std::to_string(line_no) + ": field " + std::to_string(out.size() + 1) + " is '" +
                       field + "', expected a finite number");
    out.push_back(v);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

}  // namespace

Dataset load_csv_dataset(const std::string& path, LabelColumn label) {
  const auto lines = read_lines(path);
  std::vector<std::vector<double>> rows;
  std::vector<double> raw_labels;
  size_t width = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find_first_not_of(" \t") == std::string::npos) continue;
    auto f = parse_fields(path, i + 1, lines[i]);
    if (f.size() < 2)
      throw InputError(path + ":" + std::to_string(i + 1) + ": " + std::to_string(f.size()) +
                       " column(s), expected features and a label");
    if (width == 0) width = f.size();
    if (f.size() != width)
      throw InputError(path + ":" + std::to_string(i + 1) + ": " + std::to_string(f.size()) + " columns, expected " +
                       std::to_string(width) + " as on the first line");
    const size_t li = label == LabelColumn::kLast ? f.size() - 1 : 0;
    const double y = f[li];
    if (y < 0 || y != std::floor(y) || y > 1e6)
      throw InputError(path + ":" + std::to_string(i + 1) + ": label '" + std::to_string(y) +
                       "' is not a non-negative integer");
    raw_labels.push_back(y);
    f.erase(f.begin() + static_cast<std::ptrdiff_t>(li));
    rows.push_back(std::move(f));
  }
  std::map<double, int> dense;
  for (double y : raw_labels) dense.emplace(y, 0);
  if (dense.size() < 2)
    throw InputError(path + ": " + std::to_string(dense.size()) + " class(es) found, expected at least 2");
  int next = 0;
  for (auto& [y, id] : dense) id = next++;
  Dataset d;
  d.name = path;
  d.num_classes = next;
  d.x = Matrix(static_cast<int64_t>(rows.size()), static_cast<int64_t>(width - 1));
  for (size_t i = 0; i < rows.size(); ++i) {
    std::copy(rows[i].begin(), rows[i].end(), d.x.row(static_cast<int64_t>(i)));
    d.labels.push_back(dense[raw_labels[i]]);
  }
  return d;
}

namespace {

void append_rows(const Matrix& src, const std::vector<int64_t>& idx, Matrix& dst) {
  Matrix out(dst.rows + static_cast<int64_t>(idx.size()), src.cols);
  std::copy(dst.data.begin(), dst.data.end(), out.data.begin());
  for (size_t k = 0; k < idx.size(); ++k) std::copy(src.row(idx[k]), src.row(idx[k]) + src.cols, out.row(dst.rows + static_cast<int64_t>(k)));
  dst = std::move(out);
}

}  // namespace

ClassIncremental split_class_incremental(const Dataset& d, int tasks, double test_fraction, uint64_t seed) {
  if (tasks < 1 || d.num_classes % tasks != 0)
    throw InputError(d.name + ": " + std::to_string(d.num_classes) + " classes cannot be split into " +
                     std::to_string(tasks) + " tasks of equal size; expected a divisor of the class count");
  std::mt19937_64 rng(seed * 0xD1B54A32D192ED03ull + 0x5A17ull);
  std::vector<int> order(static_cast<size_t>(d.num_classes));
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  double max_abs = 0;
  for (double v : d.x.data) max_abs = std::max(max_abs, std::abs(v));
  const double inv = max_abs > 0 ? 1.0 / max_abs : 1.0;
  std::vector<std::vector<int64_t>> by_class(static_cast<size_t>(d.num_classes));
  for (size_t i = 0; i < d.labels.size(); ++i) by_class[static_cast<size_t>(d.labels[i])].push_back(static_cast<int64_t>(i));

  ClassIncremental b;
  b.name = d.name;
  b.input_dim = static_cast<int>(d.x.cols);
  b.total_classes = d.num_classes;
  const int per_task = d.num_classes / tasks;
  for (int t = 0; t < tasks; ++t) {
    TaskData td;
    td.first_class = t * per_task;
    td.num_classes = per_task;
    td.train_x = Matrix(0, d.x.cols);
    td.test_x = Matrix(0, d.x.cols);
    for (int k = 0; k < per_task; ++k) {
      const int global = t * per_task + k;
      auto idx = by_class[static_cast<size_t>(order[static_cast<size_t>(global)])];
      std::shuffle(idx.begin(), idx.end(), rng);
      const auto n_test = static_cast<size_t>(std::lround(test_fraction * static_cast<double>(idx.size())));
      if (n_test == 0 || n_test >= idx.size())
        throw InputError(d.name + ": class " + std::to_string(order[static_cast<size_t>(global)]) + " has " +
                         std::to_string(idx.size()) + " samples; expected enough for a train and a test set");
      std::vector<int64_t> test(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(n_test));
      std::vector<int64_t> train(idx.begin() + static_cast<std::ptrdiff_t>(n_test), idx.end());
      append_rows(d.x, test, td.test_x);
      append_rows(d.x, train, td.train_x);
      td.test_y.insert(td.test_y.end(), test.size(), global);
      td.train_y.insert(td.train_y.end(), train.size(), global);
    }
    for (double& v : td.train_x.data) v *= inv;
    for (double& v : td.test_x.data) v *= inv;
    b.tasks.push_back(std::move(td));
  }
  return b;
}

TaskData union_of_tasks(const ClassIncremental& b, int upto) {
  TaskData u;
  u.train_x = Matrix(0, b.input_dim);
  u.test_x = Matrix(0, b.input_dim);
  u.first_class = 0;
  for (int t = 0; t <= upto; ++t) {
    const TaskData& td = b.tasks[static_cast<size_t>(t)];
    std::vector<int64_t> all(static_cast<size_t>(td.train_x.rows));
    std::iota(all.begin(), all.end(), 0);
    append_rows(td.train_x, all, u.train_x);
    u.train_y.insert(u.train_y.end(), td.train_y.begin(), td.train_y.end());
    u.num_classes = td.first_class + td.num_classes;
  }
  return u;
}

}  // namespace paralab::continual
