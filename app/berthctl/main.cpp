#include <QCoreApplication>

#include <iostream>

#include "berth/engine/engine_client.h"
#include "cli.h"
#include "logging.h"

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName("berthctl");
    QCoreApplication::setApplicationVersion(BERTH_VERSION);

    std::vector<std::string> args;
    bool verbose = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "-v" || arg == "--verbose") {
            verbose = true;
        } else if (arg == "--version") {
            std::cout << "berthctl " << BERTH_VERSION << "\n";
            return berth::cli::kOk;
        } else {
            args.push_back(arg);
        }
    }
    berth::app::initLogging("berthctl", /*console=*/true, verbose);

    berth::cli::Context context{berth::settings::SettingsPaths::forCurrentUser(),
                                std::cout,
                                std::cerr,
                                [] { return std::make_unique<berth::engine::EngineClient>(); },
                                &std::cin,
                                {}};
    return berth::cli::run(args, context);
}
