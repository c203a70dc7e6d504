# Sanitizer builds: -DCHRONUS_SANITIZE=address (ASan + UBSan) or thread (TSan).
if(CHRONUS_SANITIZE STREQUAL "address")
    add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=address,undefined)
elseif(CHRONUS_SANITIZE STREQUAL "thread")
    add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
    add_link_options(-fsanitize=thread)
    # GCC's target_clones resolvers (the SVF's AVX2 path) run while the dynamic loader relocates,
    # before the TSan runtime is up; instrumented, they crash at load. TSan checks threads, not
    # SIMD paths: build the portable path only.
    add_compile_definitions(CHRONUS_NO_SIMD_DISPATCH)
elseif(NOT CHRONUS_SANITIZE STREQUAL "")
    message(FATAL_ERROR "CHRONUS_SANITIZE must be '', 'address' or 'thread', not '${CHRONUS_SANITIZE}'")
endif()
