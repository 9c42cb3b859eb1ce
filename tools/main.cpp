// paralab: one program, one subcommand per job (see README.md).
// Exit codes (DESIGN.md): 0 success; 1 the job ran and failed (the command
// throws ExitStatus after printing its result, with an optional reason); 2 bad input or usage (one
// line on stderr); 3 paralab itself failed (out of memory, an I/O error, an
// internal error).
#include <iostream>
#include <new>

#include "core/error.h"
#include "tools/cli_common.h"

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
    std::cerr << "paralab: error: " << paralab::cli::parse_error_message(app, e) << "\n";
    return 2;
  } catch (const paralab::cli::ExitStatus& s) {
    if (!s.message.empty()) std::cerr << (s.code == 3 ? "paralab: error: " : "paralab: failed: ") << s.message << "\n";
    return s.code;
  } catch (const paralab::InputError& e) {
    std::cerr << "paralab: error: " << e.what() << "\n";
    return 2;
  } catch (const paralab::SystemError& e) {
    std::cerr << "paralab: error: " << e.what() << "\n";
    return 3;
  } catch (const std::bad_alloc&) {
    std::cerr << "paralab: error: out of memory\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "paralab: internal error: " << e.what() << "\n";
    return 3;
  }
  return 0;
}
