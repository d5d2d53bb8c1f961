// The shipped docker client and CLI plugins offered to the user: in temporary folders only, with
// the environment passed in (the user's ~/.docker and ~/.local are never touched).
#include "berth/endpoint/cli_tools.h"

#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>

using namespace berth::endpoint;

namespace {

class CliToolsTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        m_shipped = m_dir.filePath("shipped");
        m_system = m_dir.filePath("system");
        ASSERT_TRUE(QDir().mkpath(m_shipped) && QDir().mkpath(m_system));
        for (const char* name : {"docker-compose", "docker-buildx"}) {
            writeExecutable(m_shipped + "/" + name, "shipped");
        }
        m_environment.insert("DOCKER_CONFIG", m_dir.filePath("config"));
        m_user = m_dir.filePath("config/cli-plugins");
    }

    static void writeExecutable(const QString& path, const QByteArray& content)
    {
        QFile file(path);
        ASSERT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(content);
        file.close();
        file.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }

    CliToolsResult offer() { return offerCliPlugins(m_shipped, m_environment, {m_system}); }
    QString linkTarget(const QString& name) const { return QFileInfo(m_user + "/" + name).symLinkTarget(); }

    QTemporaryDir m_dir;
    QString m_shipped;
    QString m_system;
    QString m_user;
    QProcessEnvironment m_environment;
};

TEST_F(CliToolsTest, TheUsersFolderFollowsDockerConfigElseHome)
{
    QProcessEnvironment environment;
    environment.insert("HOME", "/home/someone");
    EXPECT_EQ(userCliPluginDir(environment), "/home/someone/.docker/cli-plugins");
    environment.insert("DOCKER_CONFIG", "/elsewhere/docker");
    EXPECT_EQ(userCliPluginDir(environment), "/elsewhere/docker/cli-plugins");
}

TEST_F(CliToolsTest, MissingPluginsAreLinkedToTheShippedOnesOnce)
{
    const auto first = offer();
    EXPECT_TRUE(first.error.isEmpty()) << first.error.toStdString();
    EXPECT_EQ(first.linked, QStringList({"docker-buildx", "docker-compose"}));
    EXPECT_EQ(linkTarget("docker-compose"), m_shipped + "/docker-compose");
    EXPECT_EQ(linkTarget("docker-buildx"), m_shipped + "/docker-buildx");
    const auto second = offer();
    EXPECT_TRUE(second.linked.isEmpty());
    EXPECT_EQ(second.present, QStringList({"docker-buildx", "docker-compose"}));
}

TEST_F(CliToolsTest, WhatTheUserInstalledIsNeverReplaced)
{
    ASSERT_TRUE(QDir().mkpath(m_user));
    writeExecutable(m_user + "/docker-compose", "the user's own");
    writeExecutable(m_dir.filePath("their-buildx"), "the user's build");
    ASSERT_TRUE(QFile::link(m_dir.filePath("their-buildx"), m_user + "/docker-buildx"));
    const auto result = offer();
    EXPECT_TRUE(result.linked.isEmpty());
    QFile compose(m_user + "/docker-compose");
    ASSERT_TRUE(compose.open(QIODevice::ReadOnly));
    EXPECT_EQ(compose.readAll(), "the user's own");
    EXPECT_EQ(linkTarget("docker-buildx"), m_dir.filePath("their-buildx"));
}

TEST_F(CliToolsTest, APluginTheSystemHasIsNotShadowed)
{
    writeExecutable(m_system + "/docker-compose", "the system's");
    const auto result = offer();
    EXPECT_EQ(result.linked, QStringList({"docker-buildx"}));
    EXPECT_EQ(result.present, QStringList({"docker-compose"}));
    EXPECT_FALSE(QFileInfo(m_user + "/docker-compose").isSymLink());
}

TEST_F(CliToolsTest, ALinkToNothingIsReplaced)
{
    ASSERT_TRUE(QDir().mkpath(m_user));
    ASSERT_TRUE(QFile::link(m_dir.filePath("uninstalled/docker-compose"), m_user + "/docker-compose"));
    const auto result = offer();
    EXPECT_TRUE(result.linked.contains("docker-compose"));
    EXPECT_EQ(linkTarget("docker-compose"), m_shipped + "/docker-compose");
}

TEST_F(CliToolsTest, NothingShippedMeansNothingDone)
{
    QDir(m_shipped).removeRecursively();
    const auto result = offer();
    EXPECT_TRUE(result.linked.isEmpty() && result.present.isEmpty() && result.error.isEmpty());
    EXPECT_FALSE(QFileInfo::exists(m_user));
}

TEST_F(CliToolsTest, TheClientIsLinkedIntoLocalBinOnlyWhenPathHasNoDocker)
{
    const QString client = m_shipped + "/docker";
    writeExecutable(client, "shipped client");
    QProcessEnvironment environment;
    environment.insert("HOME", m_dir.filePath("home"));
    environment.insert("PATH", m_system);
    const QString link = m_dir.filePath("home/.local/bin/docker");
    const auto first = offerDockerClient(client, environment);
    EXPECT_TRUE(first.error.isEmpty()) << first.error.toStdString();
    EXPECT_EQ(first.linked, QStringList({link}));
    EXPECT_EQ(QFileInfo(link).symLinkTarget(), client);
    // Found on PATH through the link itself: still Berth's, nothing to do.
    environment.insert("PATH", m_dir.filePath("home/.local/bin") + ":" + m_system);
    EXPECT_TRUE(offerDockerClient(client, environment).linked.isEmpty());
    // A docker of the user's on PATH: no link is made.
    QFile::remove(link);
    writeExecutable(m_system + "/docker", "the user's docker");
    const auto theirs = offerDockerClient(client, environment);
    EXPECT_TRUE(theirs.linked.isEmpty());
    EXPECT_EQ(theirs.present, QStringList({"docker"}));
    EXPECT_FALSE(QFileInfo(link).isSymLink());
}

TEST_F(CliToolsTest, AUsersOwnLocalBinDockerIsKept)
{
    const QString client = m_shipped + "/docker";
    writeExecutable(client, "shipped client");
    QProcessEnvironment environment;
    environment.insert("HOME", m_dir.filePath("home"));
    environment.insert("PATH", m_system);  // ~/.local/bin is not on it: the user's file is not found there
    ASSERT_TRUE(QDir().mkpath(m_dir.filePath("home/.local/bin")));
    writeExecutable(m_dir.filePath("home/.local/bin/docker"), "the user's script");
    const auto result = offerDockerClient(client, environment);
    EXPECT_TRUE(result.linked.isEmpty());
    EXPECT_FALSE(QFileInfo(m_dir.filePath("home/.local/bin/docker")).isSymLink());
}

}  // namespace
