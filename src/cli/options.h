// Shared command-line helpers: strict Boost.Program_options parsing (no
// abbreviations), one-line errors mapped to exit codes, "not available yet".
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "loadprof/util/result.h"

namespace loadprof::cli {

namespace po = boost::program_options;

// Parses args against desc (and positional), refusing abbreviated and unknown
// flags. Returns an Error of kind usage naming the bad flag.
Result<po::variables_map> parse_args(const std::vector<std::string>& args,
                                     const po::options_description& desc,
                                     const po::positional_options_description* positional = nullptr);

// Prints "loadprof: <message>" to stderr and returns the exit code for the error kind.
int fail(const Error& error);
// Prints "loadprof: not available yet: <what>" and returns 2.
int not_available(const std::string& what);
// Prints usage of a command on stdout (for --help) and returns 0.
int print_help(const std::string& usage, const po::options_description& desc);

}  // namespace loadprof::cli
