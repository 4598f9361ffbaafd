# Every external dependency is found here once, so the module CMakeLists stay declarative.
find_package(Qt6 6.4 REQUIRED COMPONENTS Core Network WebSockets)
if(L402_BUILD_GUI)
  find_package(Qt6 6.4 REQUIRED COMPONENTS Gui Widgets Charts Svg)
endif()
if(L402_BUILD_TESTS)
  find_package(Qt6 6.4 REQUIRED COMPONENTS Test)
endif()
find_package(Qt6Keychain REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
find_package(CURL 7.88 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SQLCIPHER REQUIRED IMPORTED_TARGET sqlcipher)
pkg_check_modules(SECP256K1 REQUIRED IMPORTED_TARGET libsecp256k1)
pkg_check_modules(ARGON2 REQUIRED IMPORTED_TARGET libargon2)

# http-parser (the parser Node.js used for years) has no pkg-config file on Debian.
find_path(HTTP_PARSER_INCLUDE_DIR http_parser.h REQUIRED)
find_library(HTTP_PARSER_LIBRARY NAMES http_parser REQUIRED)
add_library(http_parser::http_parser UNKNOWN IMPORTED)
set_target_properties(http_parser::http_parser PROPERTIES
  IMPORTED_LOCATION "${HTTP_PARSER_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${HTTP_PARSER_INCLUDE_DIR}")

set(CMAKE_AUTOMOC ON)
set(CMAKE_AUTORCC ON)
