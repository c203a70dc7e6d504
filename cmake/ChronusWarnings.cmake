# chronus_set_warnings(target): the project's warning set, on one target.
function(chronus_set_warnings target)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                             -Wold-style-cast -Wcast-align -Woverloaded-virtual
                                             -Wdouble-promotion -Wimplicit-fallthrough)
endfunction()
