# embed_files(<target> <namespace> <file>...) turns each file into a C++
# string constant (`<namespace>::k<Stem><Ext>`) compiled into <target>, so the
# binary carries its JavaScript/CSS without reading files at run time.
function(embed_files target ns)
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/embedded)
  file(MAKE_DIRECTORY ${out_dir})
  set(sources)
  foreach(f ${ARGN})
    get_filename_component(abs ${f} ABSOLUTE)
    get_filename_component(fname ${f} NAME)
    string(MAKE_C_IDENTIFIER ${fname} ident)
    set(out ${out_dir}/${ident}.cpp)
    add_custom_command(
      OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -DIN=${abs} -DOUT=${out} -DNS=${ns} -DIDENT=${ident}
              -P ${CMAKE_SOURCE_DIR}/cmake/EmbedOne.cmake
      DEPENDS ${abs} ${CMAKE_SOURCE_DIR}/cmake/EmbedOne.cmake
      VERBATIM)
    list(APPEND sources ${out})
  endforeach()
  target_sources(${target} PRIVATE ${sources})
endfunction()
