// Data: the CSV loader's errors, the shipped UCI digits file, the split into
// tasks, the synthetic benchmark's determinism.
#include "continual/dataset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <set>

#include "core/error.h"

namespace paralab::continual {
namespace {

const std::string kDigits = std::string(PARALAB_SOURCE_DIR) + "/experiments/inflora/data/uci-digits.csv.gz";

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

TEST(ContinualData, DigitsFileShipsWithTheProject) {
  const Dataset d = load_csv_dataset(kDigits);
  EXPECT_EQ(d.x.rows, 1797);  // the UCI test part, as its documentation gives
  EXPECT_EQ(d.x.cols, 64);    // 8 x 8 pixels
  EXPECT_EQ(d.num_classes, 10);
  // Class sizes as documented for sklearn's load_digits (sum 1797).
  std::vector<int> count(10);
  for (int y : d.labels) ++count[static_cast<size_t>(y)];
  EXPECT_EQ(count, (std::vector<int>{178, 182, 177, 183, 181, 182, 181, 179, 174, 180}));
  double mx = 0;
  for (double v : d.x.data) mx = std::max(mx, v);
  EXPECT_EQ(mx, 16);  // pixel values 0..16
}

TEST(ContinualData, CsvWithLabelFirstAndPlainText) {
  const auto p = write_temp("first.csv", "7,1,2\n3,4,5\n\n7,0.5,1e1\n");
  const Dataset d = load_csv_dataset(p, LabelColumn::kFirst);
  ASSERT_EQ(d.x.rows, 3);
  EXPECT_EQ(d.num_classes, 2);
  EXPECT_EQ(d.labels, (std::vector<int>{1, 0, 1}));  // 3 -> 0, 7 -> 1
  EXPECT_DOUBLE_EQ(d.x(2, 1), 10.0);
}

TEST(ContinualData, CsvErrorsNameFileLineAndValue) {
  EXPECT_THAT([] { load_csv_dataset("/nonexistent/x.csv"); },
              testing::ThrowsMessage<InputError>(testing::HasSubstr("/nonexistent/x.csv: cannot open")));
  const auto ragged = write_temp("ragged.csv", "1,2,0\n1,1\n");
  EXPECT_THAT([&] { load_csv_dataset(ragged); },
              testing::ThrowsMessage<InputError>(testing::HasSubstr("ragged.csv:2: 2 columns, expected 3")));
  const auto word = write_temp("word.csv", "1,2,0\n1,x,1\n");
  EXPECT_THAT([&] { load_csv_dataset(word); },
              testing::ThrowsMessage<InputError>(testing::HasSubstr("word.csv:2: field 2 is 'x', expected a finite number")));
  const auto label = write_temp("label.csv", "1,2,0.5\n1,1,1\n");
  EXPECT_THAT([&] { load_csv_dataset(label); },
              testing::ThrowsMessage<InputError>(testing::HasSubstr("label.csv:1: label")));
  const auto one = write_temp("one.csv", "1,2,0\n1,1,0\n");
  EXPECT_THAT([&] { load_csv_dataset(one); },
              testing::ThrowsMessage<InputError>(testing::HasSubstr("1 class(es) found, expected at least 2")));
}

TEST(ContinualData, SplitGivesDisjointContiguousTasks) {
  const Dataset d = load_csv_dataset(kDigits);
  const ClassIncremental b = split_class_incremental(d, 5, 1.0 / 3.0, 7);
  ASSERT_EQ(b.tasks.size(), 5u);
  int64_t total = 0;
  for (int t = 0; t < 5; ++t) {
    const TaskData& td = b.tasks[static_cast<size_t>(t)];
    EXPECT_EQ(td.first_class, 2 * t);
    std::set<int> train(td.train_y.begin(), td.train_y.end()), test(td.test_y.begin(), td.test_y.end());
    EXPECT_EQ(train, (std::set<int>{2 * t, 2 * t + 1}));
    EXPECT_EQ(test, train);
    total += td.train_x.rows + td.test_x.rows;
    // About a third of each task is test data (rounded per class).
    EXPECT_NEAR(static_cast<double>(td.test_x.rows) / static_cast<double>(td.train_x.rows + td.test_x.rows), 1.0 / 3, 0.01);
  }
  EXPECT_EQ(total, 1797);
  EXPECT_THAT([&] { split_class_incremental(d, 3, 0.3, 1); },
              testing::ThrowsMessage<InputError>(testing::HasSubstr("10 classes cannot be split into 3 tasks")));
}

TEST(ContinualData, SyntheticIsAPureFunctionOfTheSeed) {
  SyntheticSpec s;
  s.classes = 4;
  s.samples_per_class = 10;
  const Dataset a = synthetic_dataset(s, 3), b = synthetic_dataset(s, 3), c = synthetic_dataset(s, 4);
  EXPECT_EQ(a.x.data, b.x.data);
  EXPECT_NE(a.x.data, c.x.data);
  EXPECT_EQ(a.x.rows, 40);
  EXPECT_EQ(a.x.cols, 64);
}

}  // namespace
}  // namespace paralab::continual
