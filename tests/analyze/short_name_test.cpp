// The table name shortener on real demangled names (c++filt of libstdc++
// symbols, lambdas, anonymous namespaces) and on names it must leave alone.
#include "loadprof/analyze/short_name.h"

#include <gtest/gtest.h>

namespace loadprof::analyze {
namespace {

TEST(ShortName, StdStringAndParameterListsGo) {
  // c++filt _ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE9_M_mutateEmmPKcm
  EXPECT_EQ(
      short_name("std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::_M_mutate("
                 "unsigned long, unsigned long, char const*, unsigned long)"),
      "std::string::_M_mutate");
}

TEST(ShortName, DefaultAllocatorDroppedTemplateArgumentsKept) {
  // c++filt _ZNSt6vectorIiSaIiEE17_M_realloc_insertIJRKiEEEvN9__gnu_cxx17__normal_iteratorIPiS1_EEDpOT_
  EXPECT_EQ(
      short_name("void std::vector<int, std::allocator<int> >::_M_realloc_insert<int const&>(__gnu_cxx::__"
                 "normal_iterator<int*, std::vector<int, std::allocator<int> > >, int const&)"),
      "void std::vector<int>::_M_realloc_insert<int const&>");
}

TEST(ShortName, OperatorsAreNotNesting) {
  // c++filt _ZNKSt8functionIFviEEclEi
  EXPECT_EQ(short_name("std::function<void (int)>::operator()(int) const"),
            "std::function<void (int)>::operator()");
  // c++filt _ZStltIcSt11char_traitsIcESaIcEEbRKNSt7__cxx1112basic_stringIT_T0_T1_EEPKS5_
  EXPECT_EQ(
      short_name("bool std::operator< <char, std::char_traits<char>, std::allocator<char> >(std::__cxx11::"
                 "basic_string<char, std::char_traits<char>, std::allocator<char> > const&, char const*)"),
      "bool std::operator< <char, std::char_traits<char> >");
  EXPECT_EQ(short_name("Matrix::operator<<(int)"), "Matrix::operator<<");
  EXPECT_EQ(short_name("std::vector<int, std::allocator<int> >::operator[](unsigned long)"),
            "std::vector<int>::operator[]");
}

TEST(ShortName, LambdasAndAnonymousNamespaces) {
  EXPECT_EQ(short_name("(anonymous namespace)::Parser::parse(char const*) const"),
            "(anonymous namespace)::Parser::parse");
  EXPECT_EQ(
      short_name("loadprof::analyze::analyze(loadprof::capture::Capture const&)::{lambda(int)#1}::operator()"
                 "(int) const"),
      "loadprof::analyze::analyze::{lambda#1}::operator()");
}

TEST(ShortName, DeepTemplateArgumentsElided) {
  EXPECT_EQ(short_name("a::B<c::D<e::F<int> > >::run()"), "a::B<c::D<e::F<...> > >::run");
  EXPECT_EQ(
      short_name(
          "std::map<std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >, "
          "std::vector<std::pair<int, int>, std::allocator<std::pair<int, int> > >, "
          "std::less<std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > >, "
          "std::allocator<std::pair<std::__cxx11::basic_string<char, std::char_traits<char>, "
          "std::allocator<char> > const, int> > >::find(std::__cxx11::basic_string<char, "
          "std::char_traits<char>, std::allocator<char> > const&)"),
      "std::map<std::string, std::vector<std::pair<...> >, std::less<std::string> >::find");
}

TEST(ShortName, NonCppNamesUnchanged) {
  for (const char* name : {"hot", "libz.so.1.2.13+0x584e", "do_syscall_64_[k]", "[unknown]", "main",
                           "ngx_http_gzip_body_filter", "frame_dummy [clone .cold]"})
    EXPECT_EQ(short_name(name), name);
  EXPECT_EQ(short_name("f(int) [clone .cold]"), "f [clone .cold]");
}

}  // namespace
}  // namespace loadprof::analyze
