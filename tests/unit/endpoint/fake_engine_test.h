#pragma once

// The GoogleTest fixture of a client of the Engine API: certificates in a temporary directory,
// the client's TLS configuration over them, and a FakeDockerApi serving with them. A test's own
// SetUp() calls this one first, then adds its routes.

#include "berth/endpoint/docker_api.h"
#include "berth/endpoint/endpoint_certs.h"

#include "fake_docker_api.h"

#include <gtest/gtest.h>

#include <QSslConfiguration>
#include <QTemporaryDir>

#include <memory>

namespace berth::endpoint::testing {

class FakeEngineTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        m_certs.dir = m_dir.filePath("certs");
        ASSERT_TRUE(ensureEngineCerts(m_certs).ok);
        QString error;
        const auto tls = DockerApi::tlsConfiguration(m_certs, &error);
        ASSERT_TRUE(tls) << error.toStdString();
        m_tls = *tls;
        m_engine = std::make_unique<FakeDockerApi>(m_certs);
    }

    QTemporaryDir m_dir;
    EngineCertPaths m_certs;
    QSslConfiguration m_tls;
    std::unique_ptr<FakeDockerApi> m_engine;
};

}  // namespace berth::endpoint::testing
