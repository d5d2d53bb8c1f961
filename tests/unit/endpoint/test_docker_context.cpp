// The docker context "berth" through the real docker CLI when one is installed, always with
// DOCKER_CONFIG in a temporary directory (the user's ~/.docker is never touched).
#include "berth/endpoint/docker_context.h"
#include "berth/endpoint/endpoint_certs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>

#include <nlohmann/json.hpp>

using namespace berth::endpoint;
using ::testing::HasSubstr;
using Outcome = DockerContextResult::Outcome;

namespace {

class DockerContextTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        m_previous = qgetenv("DOCKER_CONFIG");
        m_hadPrevious = qEnvironmentVariableIsSet("DOCKER_CONFIG");
        qputenv("DOCKER_CONFIG", QFile::encodeName(m_dir.filePath("docker-config")));
        m_certs.dir = m_dir.filePath("certs");
        ASSERT_TRUE(ensureEngineCerts(m_certs).ok);
    }
    void TearDown() override
    {
        if (m_hadPrevious) {
            qputenv("DOCKER_CONFIG", m_previous);
        } else {
            qunsetenv("DOCKER_CONFIG");
        }
    }

    QString docker(const QStringList& arguments) const
    {
        QProcess process;
        process.start(m_cli, arguments);
        EXPECT_TRUE(process.waitForFinished(15000));
        return QString::fromLocal8Bit(process.readAllStandardOutput()).trimmed();
    }

    QString host() const
    {
        const auto json = nlohmann::json::parse(docker({"context", "inspect", "berth"}).toStdString(), nullptr, false);
        return json.is_array() && !json.empty()
            ? QString::fromStdString(json[0]["Endpoints"]["docker"].value("Host", ""))
            : QString();
    }

    QTemporaryDir m_dir;
    EngineCertPaths m_certs;
    QString m_cli = findDockerCli();

private:
    QByteArray m_previous;
    bool m_hadPrevious = false;
};

}  // namespace

TEST_F(DockerContextTest, CreatedThenKeptThenUpdatedWithoutSwitchingTheCurrentContext)
{
    if (m_cli.isEmpty()) { GTEST_SKIP() << "no docker CLI on this machine"; }
    auto result = ensureDockerContext(m_cli, "berth", 23761, m_certs);
    ASSERT_EQ(result.outcome, Outcome::Created) << result.message.toStdString();
    EXPECT_THAT(result.message.toStdString(), HasSubstr("docker --context berth"));
    EXPECT_EQ(host(), "tcp://127.0.0.1:23761");
    EXPECT_TRUE(QFile::exists(m_dir.filePath("docker-config/contexts/meta"))) << "written under DOCKER_CONFIG";
    EXPECT_EQ(docker({"context", "show"}), "default") << "the current context is never switched";

    result = ensureDockerContext(m_cli, "berth", 23761, m_certs);
    EXPECT_EQ(result.outcome, Outcome::Unchanged) << result.message.toStdString();

    result = ensureDockerContext(m_cli, "berth", 23762, m_certs);
    EXPECT_EQ(result.outcome, Outcome::Updated) << result.message.toStdString();
    EXPECT_EQ(host(), "tcp://127.0.0.1:23762");

    // Renewed certificates: the CLI's copies must follow.
    ASSERT_TRUE(QFile::remove(m_certs.caCert()));
    ASSERT_TRUE(ensureEngineCerts(m_certs).created);
    result = ensureDockerContext(m_cli, "berth", 23762, m_certs);
    EXPECT_EQ(result.outcome, Outcome::Updated) << result.message.toStdString();
    EXPECT_EQ(docker({"context", "show"}), "default");
}

TEST_F(DockerContextTest, AFailingCliIsReported)
{
    const QString fake = m_dir.filePath("docker");
    QFile script(fake);
    ASSERT_TRUE(script.open(QIODevice::WriteOnly));
    script.write("#!/bin/sh\necho \"permission denied on $DOCKER_CONFIG\" >&2\nexit 1\n");
    script.close();
    script.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    const auto result = ensureDockerContext(fake, "berth", 23761, m_certs);
    EXPECT_EQ(result.outcome, Outcome::Failed);
    EXPECT_THAT(result.message.toStdString(), HasSubstr("docker context create berth failed: permission denied"));
    EXPECT_THAT(result.message.toStdString(), HasSubstr(m_dir.filePath("docker-config").toStdString()));
}

TEST(FindDockerCli, FallsBackToTheShippedClient)
{
    QTemporaryDir dir;
    const QByteArray path = qgetenv("PATH");
    qputenv("PATH", QFile::encodeName(dir.path()));
    const QString shipped = dir.filePath("shipped-docker");
    QFile file(shipped);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.close();
    EXPECT_EQ(findDockerCli(shipped), QString()) << "not executable";
    file.setPermissions(QFile::ReadOwner | QFile::ExeOwner);
    EXPECT_EQ(findDockerCli(shipped), shipped);
    EXPECT_EQ(findDockerCli(), QString());
    qputenv("PATH", path);
}
