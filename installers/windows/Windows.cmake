# Windows packaging: an MSI built by CPack's WIX generator (WiX Toolset v3), with Qt and the
# other DLLs the binary needs deployed next to it at install time.
#
# Included by cmake/Packaging.cmake on WIN32, before include(CPack). Needs, on the build
# machine: WiX Toolset v3 (the WIX environment variable, or CPACK_WIX_ROOT), and Qt's
# windeployqt (found next to the Qt used for the build).
#
#   cmake -S . -B build/win -G "Visual Studio 17 2022" -A x64 -DL402_BUILD_TESTS=OFF
#   cmake --build build/win --config Release
#   cd build/win && cpack -G WIX -C Release
#
# Not built or tested on the project's Debian machine; see installers/README.md.

set(_l402_windows_dir "${CMAKE_CURRENT_LIST_DIR}")
set(_l402_windows_build "${PROJECT_BINARY_DIR}/installers/windows")
file(MAKE_DIRECTORY "${_l402_windows_build}")

# ---------------------------------------------------------------------------------------
# The MSI
# ---------------------------------------------------------------------------------------
set(CPACK_GENERATOR "WIX")
# The name shown in "Apps & features" and on the installer's pages.
set(CPACK_PACKAGE_NAME "L402 Wallet")
set(CPACK_PACKAGE_FILE_NAME "l402-wallet-${PROJECT_VERSION}-win64")
# C:\Program Files\L402 Wallet\bin\l402-wallet.exe
set(CPACK_PACKAGE_INSTALL_DIRECTORY "L402 Wallet")
# Never change it: every version of the MSI must carry the same upgrade code so that a new
# one replaces an older one (the template's MajorUpgrade). The product code is new each build.
set(CPACK_WIX_UPGRADE_GUID "65EC100E-D2B1-4710-B58C-6339FA80E09B")
# A Start menu shortcut "L402 Wallet" to bin\l402-wallet.exe, directly in the Start menu.
set(CPACK_PACKAGE_EXECUTABLES "l402-wallet" "L402 Wallet")
set(CPACK_WIX_PROGRAM_MENU_FOLDER ".")
set(CPACK_WIX_PROPERTY_ARPURLINFOABOUT "${PROJECT_HOMEPAGE_URL}")
set(CPACK_WIX_PROPERTY_ARPHELPLINK "${PROJECT_HOMEPAGE_URL}")
set(CPACK_WIX_PROPERTY_ARPCOMMENTS "${PROJECT_DESCRIPTION}")
set(CPACK_WIX_ROOT_FEATURE_TITLE "L402 Wallet")

# The product icon (Apps & features) and the executable's icon need a .ico. Produce it from
# the PNG icons (see installers/README.md) and put it at installers/windows/l402-wallet.ico.
set(L402_WINDOWS_ICON "${_l402_windows_dir}/l402-wallet.ico" CACHE FILEPATH
    "Icon (.ico) of the Windows installer and executable")
if(EXISTS "${L402_WINDOWS_ICON}")
  set(CPACK_WIX_PRODUCT_ICON "${L402_WINDOWS_ICON}")
  # The executable's own icon, shown by the Start menu shortcut and the taskbar.
  file(TO_CMAKE_PATH "${L402_WINDOWS_ICON}" _l402_icon_path)
  file(CONFIGURE OUTPUT "${_l402_windows_build}/l402-wallet-icon.rc"
       CONTENT "IDI_ICON1 ICON \"@_l402_icon_path@\"\n" @ONLY)
  target_sources(l402-wallet PRIVATE "${_l402_windows_build}/l402-wallet-icon.rc")
else()
  message(WARNING "Packaging: ${L402_WINDOWS_ICON} does not exist; the MSI and the "
                  "executable get Windows' default icon.")
endif()

# The licence shown by the installer. CPack's default is a placeholder text, so use the
# project's LICENSE (copied with a .txt extension, which the WIX generator converts to RTF).
if(EXISTS "${PROJECT_SOURCE_DIR}/LICENSE")
  configure_file("${PROJECT_SOURCE_DIR}/LICENSE" "${_l402_windows_build}/LICENSE.txt" COPYONLY)
  set(CPACK_RESOURCE_FILE_LICENSE "${_l402_windows_build}/LICENSE.txt")
else()
  message(WARNING "Packaging: there is no LICENSE file at the top of the source tree; the "
                  "MSI's licence page shows CPack's placeholder text.")
endif()

# ---------------------------------------------------------------------------------------
# Runtime files next to bin\l402-wallet.exe, at install time (so `cmake --install` and the
# MSI's staging install get the same tree). These rules run after app/'s install(TARGETS).
# ---------------------------------------------------------------------------------------

# The MSVC runtime DLLs (app-local, so no VC++ redistributable is needed).
set(CMAKE_INSTALL_SYSTEM_RUNTIME_DESTINATION "bin")
include(InstallRequiredSystemLibraries)

# Qt: its DLLs, the platform, style, image-format, icon-engine and TLS plugins.
find_program(WINDEPLOYQT_EXECUTABLE windeployqt
  HINTS "${QT6_INSTALL_PREFIX}/${QT6_INSTALL_BINS}" "${QT6_INSTALL_PREFIX}/bin")

# Other DLLs the binary links (OpenSSL, libcurl, SQLCipher, libsecp256k1, libargon2,
# http-parser, QtKeychain): looked up in these folders. The default covers a vcpkg
# toolchain and CMAKE_PREFIX_PATH entries.
set(_l402_dll_dirs "${QT6_INSTALL_PREFIX}/bin")
if(DEFINED VCPKG_INSTALLED_DIR AND DEFINED VCPKG_TARGET_TRIPLET)
  list(APPEND _l402_dll_dirs "${VCPKG_INSTALLED_DIR}/${VCPKG_TARGET_TRIPLET}/bin")
endif()
foreach(_prefix IN LISTS CMAKE_PREFIX_PATH)
  list(APPEND _l402_dll_dirs "${_prefix}/bin")
endforeach()
set(L402_RUNTIME_DLL_DIRS "${_l402_dll_dirs}" CACHE STRING
    "Folders searched for the DLLs l402-wallet.exe needs (;-separated)")

if(NOT WINDEPLOYQT_EXECUTABLE)
  message(WARNING "Packaging: windeployqt was not found; the installed tree and the MSI will "
                  "lack Qt's DLLs and plugins.")
else()
  # Run at install time. @VAR@ is filled in now; ${...} and $ENV{...} are left for install
  # time; $<...> generator expressions are evaluated per configuration.
  set(_l402_deploy [=[
# Where the tools look (DESTDIR included) and where file(INSTALL) is told to put files (it
# adds DESTDIR itself).
set(_l402_bin "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/bin")
set(_l402_bin_destination "${CMAKE_INSTALL_PREFIX}/bin")
set(_l402_exe "${_l402_bin}/$<TARGET_FILE_NAME:l402-wallet>")
message(STATUS "Deploying Qt next to ${_l402_exe}")
execute_process(
  COMMAND "@WINDEPLOYQT_EXECUTABLE@" $<IF:$<CONFIG:Debug>,--debug,--release>
          --no-translations --no-system-d3d-compiler --no-opengl-sw @_l402_runtime_flag@
          --verbose 0 "${_l402_exe}"
  RESULT_VARIABLE _l402_result)
if(NOT _l402_result EQUAL 0)
  message(FATAL_ERROR "windeployqt failed (${_l402_result}) for ${_l402_exe}")
endif()

if(NOT "@L402_DUMPBIN_EXECUTABLE@" STREQUAL "")
  set(CMAKE_GET_RUNTIME_DEPENDENCIES_TOOL "dumpbin")
  set(CMAKE_GET_RUNTIME_DEPENDENCIES_COMMAND "@L402_DUMPBIN_EXECUTABLE@")
endif()
file(GET_RUNTIME_DEPENDENCIES
  EXECUTABLES "${_l402_exe}"
  RESOLVED_DEPENDENCIES_VAR _l402_resolved
  UNRESOLVED_DEPENDENCIES_VAR _l402_unresolved
  DIRECTORIES @L402_RUNTIME_DLL_DIRS_QUOTED@
  PRE_EXCLUDE_REGEXES "^api-ms-" "^ext-ms-"
  POST_EXCLUDE_REGEXES ".*[/\\][Ss][Yy][Ss][Tt][Ee][Mm]32[/\\].*"
                       ".*[/\\][Ww][Ii][Nn][Dd][Oo][Ww][Ss][/\\][^/\\]*$")
if(_l402_unresolved)
  message(FATAL_ERROR "DLLs needed by ${_l402_exe} were not found: ${_l402_unresolved}. "
                      "Add their folders to L402_RUNTIME_DLL_DIRS.")
endif()
foreach(_l402_dll IN LISTS _l402_resolved)
  # Those windeployqt already put next to the executable stay as they are.
  get_filename_component(_l402_dll_dir "${_l402_dll}" DIRECTORY)
  file(TO_CMAKE_PATH "${_l402_dll_dir}" _l402_dll_dir)
  file(TO_CMAKE_PATH "${_l402_bin}" _l402_bin_path)
  if(NOT _l402_dll_dir STREQUAL _l402_bin_path)
    file(INSTALL "${_l402_dll}" DESTINATION "${_l402_bin_destination}")
  endif()
endforeach()
]=])
  # With MSVC the runtime comes from InstallRequiredSystemLibraries above; with MinGW,
  # windeployqt copies libstdc++, libgcc and winpthread.
  if(MSVC)
    set(_l402_runtime_flag "--no-compiler-runtime")
  else()
    set(_l402_runtime_flag "--compiler-runtime")
  endif()
  # file(GET_RUNTIME_DEPENDENCIES) reads the import tables with dumpbin (MSVC, next to the
  # linker) or objdump (MinGW, CMAKE_OBJDUMP, which CMake passes to the install script).
  set(L402_DUMPBIN_EXECUTABLE "")
  if(MSVC)
    get_filename_component(_l402_linker_dir "${CMAKE_LINKER}" DIRECTORY)
    find_program(L402_DUMPBIN dumpbin HINTS "${_l402_linker_dir}")
    if(L402_DUMPBIN)
      file(TO_CMAKE_PATH "${L402_DUMPBIN}" L402_DUMPBIN_EXECUTABLE)
    endif()
  endif()
  set(L402_RUNTIME_DLL_DIRS_QUOTED "")
  foreach(_dir IN LISTS L402_RUNTIME_DLL_DIRS)
    file(TO_CMAKE_PATH "${_dir}" _dir)
    string(APPEND L402_RUNTIME_DLL_DIRS_QUOTED " \"${_dir}\"")
  endforeach()
  string(CONFIGURE "${_l402_deploy}" _l402_deploy @ONLY)
  install(CODE "${_l402_deploy}")
endif()
