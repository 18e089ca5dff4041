// Strict option parsing shared by every subcommand.
#include "options.h"

#include <iostream>

#include "loadprof/util/exit_codes.h"
#include "loadprof/util/log.h"

namespace loadprof::cli {

Result<po::variables_map> parse_args(const std::vector<std::string>& args,
                                     const po::options_description& desc,
                                     const po::positional_options_description* positional) {
  // Default style minus allow_guessing: "--dur" is not "--duration".
  const int style = (po::command_line_style::default_style & ~po::command_line_style::allow_guessing);
  po::variables_map vm;
  try {
    po::command_line_parser parser(args);
    parser.options(desc).style(style);
    if (positional) parser.positional(*positional);
    po::store(parser.run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return make_error(ErrorKind::usage, e.what());
  }
  return vm;
}

int fail(const Error& error) {
  log::error(error.message);
  return exit_code_for(error.kind);
}

int not_available(const std::string& what) {
  log::error("not available yet: " + what);
  return kExitUsage;
}

int print_help(const std::string& usage, const po::options_description& desc) {
  std::cout << "usage: " << usage << "\n\n" << desc << "\n";
  return kExitOk;
}

}  // namespace loadprof::cli
