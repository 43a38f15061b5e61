// doctest's runner with one addition: when a test skipped because nginx, apache2 or curl is
// missing (and nothing failed), the run exits 77, which CTest reports as skipped.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

bool servers_skipped();

int main(int argc, char** argv) {
    doctest::Context context(argc, argv);
    int status = context.run();
    if (context.shouldExit()) return status;
    return status == 0 && servers_skipped() ? 77 : status;
}
