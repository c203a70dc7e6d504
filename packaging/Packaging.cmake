# Packaging: what `cmake --install` puts next to bin/chronus (desktop entry, icons, AppStream
# metainfo, man page, example patches), checks of those files under ctest, and the Debian package
# CPack builds from the install tree (`cpack -G DEB` in the build folder, or scripts/package-test.sh).
include(GNUInstallDirs)

set(CHRONUS_PACKAGING_DIR ${CMAKE_CURRENT_LIST_DIR})
set(CHRONUS_APP_ID io.github.chronus.Chronus)
set(CHRONUS_ICON_SIZES 16 32 48 64 128 256 512)

# --- Files rendered at build time: PNG icons from the SVG, the compressed man page ---------------

find_program(CHRONUS_RSVG_CONVERT rsvg-convert)
find_program(CHRONUS_GZIP gzip REQUIRED)
set(_generated ${CMAKE_CURRENT_BINARY_DIR}/packaging)
set(_outputs)
if(CHRONUS_RSVG_CONVERT)
    foreach(size IN LISTS CHRONUS_ICON_SIZES)
        set(png ${_generated}/icons/${size}x${size}/chronus.png)
        add_custom_command(OUTPUT ${png}
            COMMAND ${CMAKE_COMMAND} -E make_directory ${_generated}/icons/${size}x${size}
            COMMAND ${CHRONUS_RSVG_CONVERT} --width=${size} --height=${size} --format=png
                    --output=${png} ${CHRONUS_PACKAGING_DIR}/chronus.svg
            DEPENDS ${CHRONUS_PACKAGING_DIR}/chronus.svg
            COMMENT "Rendering the ${size}x${size} icon" VERBATIM)
        list(APPEND _outputs ${png})
        install(FILES ${png} DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/${size}x${size}/apps)
    endforeach()
else()
    # The SVG alone serves every desktop; the package test insists on the PNGs.
    message(WARNING "rsvg-convert not found (Debian: librsvg2-bin): the PNG icons are not built")
endif()

# Debian wants man pages compressed, and reproducibly (-n: no name or time stamp in the .gz).
add_custom_command(OUTPUT ${_generated}/chronus.1.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_generated}
    COMMAND ${CHRONUS_GZIP} -9 -n -c ${CHRONUS_PACKAGING_DIR}/chronus.1 > ${_generated}/chronus.1.gz
    DEPENDS ${CHRONUS_PACKAGING_DIR}/chronus.1
    COMMENT "Compressing the man page")
list(APPEND _outputs ${_generated}/chronus.1.gz)
add_custom_target(chronus_packaging_files ALL DEPENDS ${_outputs})

# --- Install rules (bin/chronus is installed by src/app) ------------------------------------------

install(FILES ${CHRONUS_PACKAGING_DIR}/chronus.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${CHRONUS_PACKAGING_DIR}/chronus.svg DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
install(FILES ${CHRONUS_PACKAGING_DIR}/${CHRONUS_APP_ID}.metainfo.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
install(FILES ${_generated}/chronus.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
# The editor finds the example tracks here (share/chronus/patches next to bin/).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/resources/patches/ DESTINATION ${CMAKE_INSTALL_DATADIR}/chronus/patches
    FILES_MATCHING PATTERN "*.json")

# --- Checks of the desktop files (ctest) ---------------------------------------------------------

if(CHRONUS_BUILD_TESTS)
    find_program(CHRONUS_APPSTREAMCLI appstreamcli)
    find_program(CHRONUS_DESKTOP_FILE_VALIDATE desktop-file-validate)
    find_program(CHRONUS_GROFF groff)
    if(CHRONUS_APPSTREAMCLI)
        add_test(NAME packaging_metainfo_validates
            COMMAND ${CHRONUS_APPSTREAMCLI} validate --no-net --explain
                    ${CHRONUS_PACKAGING_DIR}/${CHRONUS_APP_ID}.metainfo.xml)
    endif()
    if(CHRONUS_DESKTOP_FILE_VALIDATE)
        # desktop-file-validate exits 0 on hints; they are printed, and fail the test too.
        add_test(NAME packaging_desktop_entry_validates
            COMMAND sh -c "out=$(\"$0\" \"$1\") || exit 1; [ -z \"$out\" ] || { echo \"$out\"; exit 1; }"
                    ${CHRONUS_DESKTOP_FILE_VALIDATE} ${CHRONUS_PACKAGING_DIR}/chronus.desktop)
    endif()
    if(CHRONUS_GROFF)
        # groff reports bad requests and layout problems as warnings with exit code 0.
        add_test(NAME packaging_man_page_formats
            COMMAND sh -c "out=$(\"$0\" -man -ww -z \"$1\" 2>&1) || exit 1; [ -z \"$out\" ] || { echo \"$out\"; exit 1; }"
                    ${CHRONUS_GROFF} ${CHRONUS_PACKAGING_DIR}/chronus.1)
    endif()
    # The newest AppStream release must be the version `chronus --version` prints.
    add_test(NAME packaging_metainfo_names_the_version
        COMMAND ${CMAKE_COMMAND} -DMETAINFO=${CHRONUS_PACKAGING_DIR}/${CHRONUS_APP_ID}.metainfo.xml
                -DVERSION=${PROJECT_VERSION} -P ${CHRONUS_PACKAGING_DIR}/CheckMetainfoVersion.cmake)
endif()

# --- The Debian package ---------------------------------------------------------------------------

# The QML modules are loaded at run time, so dpkg-shlibdeps cannot see them: they come from the
# list that scripts/deps.sh installs for the build too.
file(STRINGS ${CHRONUS_PACKAGING_DIR}/qml-modules.txt CHRONUS_QML_PACKAGES REGEX "^[a-z0-9]")
list(JOIN CHRONUS_QML_PACKAGES ", " _qml_depends)

set(CHRONUS_PACKAGE_MAINTAINER "Chronus maintainers <maintainers@users.noreply.b-seed-a79a89d0.example>"
    CACHE STRING "Maintainer field of the Debian package")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME chronus)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "The Chronus developers")
set(CPACK_PACKAGE_CONTACT ${CHRONUS_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "modular synthesizer for making music with an AI agent")
# Debian's extended description: lines under 80 columns, "." for an empty line.
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION
    "Chronus is a modular synthesizer: patch oscillators, envelopes, filters, LFOs,"
    "sequencers, drums and effects together with cables in its Qt Quick editor, and"
    "hear every change when you commit it, crossfaded without a click while the old"
    "patch keeps playing."
    "."
    "An AI agent or a script drives the same engine over OSC: 'chronus serve' is the"
    "headless engine, 'chronus ctl' its command-line client. 'chronus render'"
    "renders a patch to a WAV file faster than real time. Example tracks included.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # chronus_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION sound)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${CHRONUS_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS ${_qml_depends})
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/")
include(CPack)
