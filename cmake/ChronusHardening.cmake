# chronus_harden(target...): the hardening Debian builds its own packages with (dpkg-buildflags with
# hardening=+all), on the targets that go into the shipped binary rather than in the global flags:
# a stack protector on functions with arrays or address-taken locals, checked (_chk) variants of the
# libc string and memory functions where the size is known at compile time, a position-independent
# executable, and a relocation table made read-only after loading (relro), with every symbol bound
# at start (now) so that the table is complete before it is sealed. lintian checks all four.

include(CheckPIESupported)
check_pie_supported(LANGUAGES CXX) # POSITION_INDEPENDENT_CODE on an executable then links with -pie

function(chronus_harden)
    foreach(target IN LISTS ARGN)
        get_target_property(type ${target} TYPE)
        if(type STREQUAL "EXECUTABLE")
            set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON) # -fPIE, -pie
        else()
            # A library linked into a PIE must be position-independent too: -fPIE, which Debian's
            # compiler does by default. Targets that link Qt get Qt's -fPIC after it (Qt asks for it),
            # and the last one wins. Not -fPIC everywhere: it lets every global function be
            # interposed, which stops the inlining the DSP code relies on.
            target_compile_options(${target} PRIVATE -fPIE)
        endif()
        target_compile_options(${target} PRIVATE -fstack-protector-strong -Wformat -Werror=format-security)
        # _FORTIFY_SOURCE needs the optimiser (glibc warns and ignores it at -O0, the Debug build).
        # Sanitizer and fuzzing builds leave it out: ASan and TSan intercept the same functions and
        # check them better, and the _chk variants bypass their interceptors. -U first:
        # some distributions' compilers define it already, and a second definition is a warning.
        if(CHRONUS_SANITIZE STREQUAL "" AND NOT CHRONUS_FUZZ)
            target_compile_options(${target} PRIVATE
                "$<$<CONFIG:Release,RelWithDebInfo,MinSizeRel>:-U_FORTIFY_SOURCE;-D_FORTIFY_SOURCE=2>")
        endif()
        if(type STREQUAL "EXECUTABLE" OR type STREQUAL "SHARED_LIBRARY" OR type STREQUAL "MODULE_LIBRARY")
            target_link_options(${target} PRIVATE LINKER:-z,relro LINKER:-z,now)
        endif()
    endforeach()
endfunction()

# chronus_harden_directory(): chronus_harden on every library and executable defined so far in the
# calling directory, including those qt_add_qml_module generates (the compiled QML, the resources,
# the plugin's initialiser), which go into the shipped binary too.
function(chronus_harden_directory)
    get_property(targets DIRECTORY PROPERTY BUILDSYSTEM_TARGETS)
    foreach(target IN LISTS targets)
        get_target_property(type ${target} TYPE)
        if(type MATCHES "^(EXECUTABLE|STATIC_LIBRARY|SHARED_LIBRARY|MODULE_LIBRARY|OBJECT_LIBRARY)$")
            chronus_harden(${target})
        endif()
    endforeach()
endfunction()
