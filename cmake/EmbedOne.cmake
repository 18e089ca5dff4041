# Script mode helper for Embed.cmake: writes IN as a hex byte array constant.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR n "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," body "${hex}")
file(WRITE ${OUT} "// Generated from ${IN}; do not edit.\n#include <string_view>\nnamespace ${NS} {\nstatic const char ${IDENT}_data[] = {${body} 0};\nextern const std::string_view ${IDENT};\nconst std::string_view ${IDENT}(${IDENT}_data, ${n});\n}\n")
