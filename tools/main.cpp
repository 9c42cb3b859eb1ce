// paralab: one program, one subcommand per job (see README.md).
// Exit codes: 0 success, 2 bad input (one-line message on stderr), 1 the job
// ran and failed (JobFailed) or an internal error.
#include <iostream>

#include "core/error.h"
#include "tools/cli_common.h"
#include "tools/job_failed.h"

int main(int argc, char** argv) {
  CLI::App app{"paralab: what large-model training and inference cost on given machines"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Help for every subcommand");
  paralab::cli::register_all_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  } catch (const paralab::InputError& e) {
    std::cerr << "paralab: error: " << e.what() << "\n";
    return 2;
  } catch (const paralab::cli::JobFailed& e) {
    std::cerr << "paralab: failed: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "paralab: internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
