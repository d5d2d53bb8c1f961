// GoogleTest with a Qt event loop: the VM code is asynchronous, tests wait on signals.
#include <QCoreApplication>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    spdlog::set_level(qEnvironmentVariableIsSet("BERTH_TEST_VERBOSE") ? spdlog::level::debug : spdlog::level::off);
    return RUN_ALL_TESTS();
}
