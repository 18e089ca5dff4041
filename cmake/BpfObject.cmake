# bpf_object(<name> <src.bpf.c>) compiles a BPF program with clang -target bpf,
# strips DWARF with `bpftool gen object` (keeps BTF) and generates a libbpf
# skeleton header <name>.skel.h. Creates an INTERFACE target `<name>_skel`
# whose include directory holds the skeleton.
find_program(BPF_CLANG NAMES clang clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf)

set(BPF_GEN_DIR ${CMAKE_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${BPF_GEN_DIR})

set(LOADPROF_BTF_FILE /sys/kernel/btf/vmlinux CACHE FILEPATH "BTF used to generate vmlinux.h")
add_custom_command(
  OUTPUT ${BPF_GEN_DIR}/vmlinux.h
  COMMAND ${BPFTOOL} btf dump file ${LOADPROF_BTF_FILE} format c > ${BPF_GEN_DIR}/vmlinux.h
  COMMENT "Generating vmlinux.h from ${LOADPROF_BTF_FILE}"
  VERBATIM)
add_custom_target(vmlinux_h DEPENDS ${BPF_GEN_DIR}/vmlinux.h)

function(bpf_object name src)
  set(obj ${BPF_GEN_DIR}/${name}.tmp.bpf.o)
  set(stripped ${BPF_GEN_DIR}/${name}.bpf.o)
  set(skel ${BPF_GEN_DIR}/${name}.skel.h)
  get_filename_component(src_abs ${src} ABSOLUTE)
  get_filename_component(src_dir ${src_abs} DIRECTORY)
  file(GLOB bpf_headers ${src_dir}/*.h)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPF_CLANG} -target bpf -D__TARGET_ARCH_x86 -g -O2 -Wall
            -I${BPF_GEN_DIR} -I${src_dir} -c ${src_abs} -o ${obj}
    COMMAND ${BPFTOOL} gen object ${stripped} ${obj}
    COMMAND ${BPFTOOL} gen skeleton ${stripped} name ${name} > ${skel}
    DEPENDS ${src_abs} ${bpf_headers} ${BPF_GEN_DIR}/vmlinux.h
    COMMENT "BPF object and skeleton ${name}"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  add_dependencies(${name}_skel_gen vmlinux_h)
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${BPF_GEN_DIR} ${CMAKE_SOURCE_DIR}/bpf)
  target_link_libraries(${name}_skel INTERFACE PkgConfig::LIBBPF)
endfunction()
