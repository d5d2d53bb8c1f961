#pragma once

// The docker CLI's context "berth": tcp://127.0.0.1:<enginePort> with our CA and client
// certificate, so `docker --context berth ...` (or `docker context use berth`) reaches the engine.
// Created or updated with the CLI itself (`docker context create|update`), which respects
// DOCKER_CONFIG. The user's current context is never switched.

#include "berth/endpoint/endpoint_certs.h"

#include <QString>

#include <chrono>

namespace berth::endpoint {

// `docker` from PATH, else `shipped` (the client that comes with the guest image) if it exists;
// empty when there is none.
QString findDockerCli(const QString& shipped = {});

struct DockerContextResult {
    enum class Outcome { Created, Updated, Unchanged, Failed };
    Outcome outcome = Outcome::Failed;
    QString message;  // for people: what happened and how to use it, or what failed
};

DockerContextResult ensureDockerContext(const QString& dockerCli, const QString& name, quint16 port,
                                        const EngineCertPaths& certs,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(15));

inline constexpr const char* kDockerContextName = "berth";

}  // namespace berth::endpoint
