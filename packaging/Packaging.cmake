# Packaging: what `cmake --install` puts next to bin/chronus (desktop entry, icons, AppStream
# metainfo, man page, example patches, copyright and changelog), checks of those files under ctest,
# and the Debian package CPack builds from the install tree (`cpack -G DEB` in the build folder, or
# scripts/package-test.sh, which also runs lintian on it).
include(GNUInstallDirs)

set(CHRONUS_PACKAGING_DIR ${CMAKE_CURRENT_LIST_DIR})
set(CHRONUS_APP_ID io.github.chronus.Chronus)
set(CHRONUS_LICENSE GPL-3.0-or-later) # SPDX; LICENSE has its text, packaging/copyright says it for Debian
set(CHRONUS_ICON_SIZES 16 32 48 64 128 256 512)

# --- Files rendered at build time: PNG icons from the SVG, the compressed man page and changelog --

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

# Debian wants man pages and changelogs compressed, at -9, and reproducibly (-n: no name or time
# stamp in the .gz). A package whose version has no Debian revision is native: its changelog is
# changelog.gz (in Debian's format; dpkg-parsechangelog reads it), not changelog.Debian.gz.
foreach(pair chronus.1:chronus.1.gz changelog:changelog.gz)
    string(REPLACE ":" ";" pair ${pair})
    list(GET pair 0 in)
    list(GET pair 1 out)
    add_custom_command(OUTPUT ${_generated}/${out}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${_generated}
        COMMAND ${CHRONUS_GZIP} -9 -n -c ${CHRONUS_PACKAGING_DIR}/${in} > ${_generated}/${out}
        DEPENDS ${CHRONUS_PACKAGING_DIR}/${in}
        COMMENT "Compressing ${in}")
    list(APPEND _outputs ${_generated}/${out})
endforeach()
add_custom_target(chronus_packaging_files ALL DEPENDS ${_outputs})

# --- Install rules (bin/chronus is installed by src/) ------------------------------------------

# The desktop entry is named by the application id: AppStream's <launchable> and the Wayland app id
# (QGuiApplication::desktopFileName in ui/EditorApp.cpp) find it by that name.
install(FILES ${CHRONUS_PACKAGING_DIR}/${CHRONUS_APP_ID}.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${CHRONUS_PACKAGING_DIR}/chronus.svg DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
install(FILES ${CHRONUS_PACKAGING_DIR}/${CHRONUS_APP_ID}.metainfo.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
install(FILES ${_generated}/chronus.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CHRONUS_PACKAGING_DIR}/copyright ${_generated}/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR})
# The editor finds the example tracks here (share/chronus/patches next to bin/).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/resources/patches/ DESTINATION ${CMAKE_INSTALL_DATADIR}/chronus/patches
    FILES_MATCHING PATTERN "*.json")

# CPack strips the two programs, bin/chronus and libexec/chronus/chronus-slot-worker
# (CPACK_STRIP_FILES runs the install with CMAKE_INSTALL_DO_STRIP), even from a RelWithDebInfo
# build; strip leaves the .comment (the compiler's version strings) and .note sections, which
# Debian's own packages drop too (dh_strip).
foreach(_program ${CMAKE_INSTALL_BINDIR}/chronus ${CMAKE_INSTALL_LIBEXECDIR}/chronus/chronus-slot-worker)
    install(CODE "if(CMAKE_INSTALL_DO_STRIP)
    execute_process(COMMAND \"${CMAKE_OBJCOPY}\" --remove-section=.comment --remove-section=.note
                            \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${_program}\"
                    COMMAND_ERROR_IS_FATAL ANY)
endif()")
endforeach()

# --- Checks of the desktop files (ctest) ---------------------------------------------------------

if(CHRONUS_BUILD_TESTS)
    find_program(CHRONUS_APPSTREAMCLI appstreamcli)
    find_program(CHRONUS_DESKTOP_FILE_VALIDATE desktop-file-validate)
    find_program(CHRONUS_GROFF groff)
    if(CHRONUS_APPSTREAMCLI)
        # --strict fails on anything above a pedantic hint; the one hint left is the capital C of the
        # id (cid-contains-uppercase-letter): reverse-DNS application ids keep the program's name as
        # it is spelled (org.gnome.Nautilus), and the desktop entry and Wayland app id use the same id.
        add_test(NAME packaging_metainfo_validates
            COMMAND ${CHRONUS_APPSTREAMCLI} validate --pedantic --strict --no-net --explain
                    ${CHRONUS_PACKAGING_DIR}/${CHRONUS_APP_ID}.metainfo.xml)
    endif()
    if(CHRONUS_DESKTOP_FILE_VALIDATE)
        # desktop-file-validate exits 0 on hints; they are printed, and fail the test too.
        add_test(NAME packaging_desktop_entry_validates
            COMMAND sh -c "out=$(\"$0\" \"$1\") || exit 1; [ -z \"$out\" ] || { echo \"$out\"; exit 1; }"
                    ${CHRONUS_DESKTOP_FILE_VALIDATE} ${CHRONUS_PACKAGING_DIR}/${CHRONUS_APP_ID}.desktop)
    endif()
    if(CHRONUS_GROFF)
        # groff reports bad requests and layout problems as warnings with exit code 0.
        add_test(NAME packaging_man_page_formats
            COMMAND sh -c "out=$(\"$0\" -man -ww -z \"$1\" 2>&1) || exit 1; [ -z \"$out\" ] || { echo \"$out\"; exit 1; }"
                    ${CHRONUS_GROFF} ${CHRONUS_PACKAGING_DIR}/chronus.1)
    endif()
    find_program(CHRONUS_DPKG_PARSECHANGELOG dpkg-parsechangelog)
    if(CHRONUS_DPKG_PARSECHANGELOG)
        # The changelog parses, and its newest entry is the package's version, as lintian expects.
        add_test(NAME packaging_changelog_names_the_version
            COMMAND sh -c "v=$(\"$0\" -l \"$1\" -S Version) || exit 1; [ \"$v\" = \"$2\" ] ||
                           { echo \"$1: the newest entry is $v, the project is $2\"; exit 1; }"
                    ${CHRONUS_DPKG_PARSECHANGELOG} ${CHRONUS_PACKAGING_DIR}/changelog ${PROJECT_VERSION})
    endif()
    # The newest AppStream release must be the version `chronus --version` prints.
    add_test(NAME packaging_metainfo_names_the_version
        COMMAND ${CMAKE_COMMAND} -DMETAINFO=${CHRONUS_PACKAGING_DIR}/${CHRONUS_APP_ID}.metainfo.xml
                -DVERSION=${PROJECT_VERSION} -P ${CHRONUS_PACKAGING_DIR}/CheckMetainfoVersion.cmake)
    add_test(NAME packaging_metainfo_names_licence_homepage_screenshot_and_desktop_entry
        COMMAND ${CMAKE_COMMAND} -DMETAINFO=${CHRONUS_PACKAGING_DIR}/${CHRONUS_APP_ID}.metainfo.xml
                -DAPP_ID=${CHRONUS_APP_ID} -DLICENSE=${CHRONUS_LICENSE} -DDESKTOP_DIR=${CHRONUS_PACKAGING_DIR}
                -P ${CHRONUS_PACKAGING_DIR}/CheckMetainfoFields.cmake)
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
# MIDI input: RtMidi (ALSA sequencer) and libjack (JACK MIDI, opened directly). shlibdeps finds
# them too; named here so a package built without it still has them. libaubio5: the analysis
# (render --analyze).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${_qml_depends}, librtmidi6, libjack-jackd2-0 | libjack-0.125, libaubio5")
# RtAudio talks to ALSA and PulseAudio as they are; a JACK server gives the low latency.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "jackd2 | pipewire-jack")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/")
include(CPack)
