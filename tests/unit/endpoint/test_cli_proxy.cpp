// The containers' proxy in the docker CLI's config.json: only Berth's daemon host's entry changes,
// everything else in the file stays as it was. In temporary folders only (DOCKER_CONFIG).
#include "berth/endpoint/cli_proxy.h"

#include <gtest/gtest.h>

#include <QFile>
#include <QTemporaryDir>

#include <nlohmann/json.hpp>

using namespace berth::endpoint;
using Json = nlohmann::ordered_json;

namespace {

constexpr const char* kHost = "tcp://127.0.0.1:2376";

class CliProxyTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        m_environment.insert("DOCKER_CONFIG", m_dir.path());
    }
    QString configPath() const { return m_dir.filePath("config.json"); }
    void write(const QByteArray& text)
    {
        QFile file(configPath());
        ASSERT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(text);
    }
    QByteArray read() const
    {
        QFile file(configPath());
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }
    Json config() const { return Json::parse(read().toStdString()); }
    CliProxyResult set(const CliProxy& proxy) { return setCliProxy(kHost, proxy, m_environment); }

    QTemporaryDir m_dir;
    QProcessEnvironment m_environment;
};

}  // namespace

TEST_F(CliProxyTest, OnlyOurHostsEntryIsWrittenAndTheRestKept)
{
    write(R"({"auths": {"registry.corp": {"auth": "c2VjcmV0"}}, "currentContext": "default",
              "proxies": {"default": {"httpProxy": "http://theirs:1"}}})");
    const auto result = set({"http://10.0.2.2:3128", "", "localhost,.corp"});
    ASSERT_TRUE(result.error.isEmpty()) << result.error.toStdString();
    EXPECT_TRUE(result.changed);
    const Json written = config();
    EXPECT_EQ(written["proxies"][kHost], (Json{{"httpProxy", "http://10.0.2.2:3128"}, {"noProxy", "localhost,.corp"}}));
    EXPECT_EQ(written["proxies"]["default"]["httpProxy"], "http://theirs:1");
    EXPECT_EQ(written["auths"]["registry.corp"]["auth"], "c2VjcmV0");
    EXPECT_EQ(written.begin().key(), "auths");  // the user's order
    EXPECT_EQ(QFile(configPath()).permissions() & (QFile::ReadOther | QFile::ReadGroup), QFile::Permissions());

    // The same again changes nothing; none removes our entry and leaves theirs.
    EXPECT_FALSE(set({"http://10.0.2.2:3128", "", "localhost,.corp"}).changed);
    EXPECT_TRUE(set({}).changed);
    EXPECT_FALSE(config()["proxies"].contains(kHost));
    EXPECT_TRUE(config()["proxies"].contains("default"));
}

TEST_F(CliProxyTest, NoFileAndNoProxyWritesNothing)
{
    const auto result = set({});
    EXPECT_FALSE(result.changed);
    EXPECT_TRUE(result.error.isEmpty());
    EXPECT_FALSE(QFile::exists(configPath()));
    EXPECT_TRUE(set({"", "http://p:1", ""}).changed);
    EXPECT_EQ(config()["proxies"][kHost]["httpsProxy"], "http://p:1");
    EXPECT_TRUE(set({}).changed);
    EXPECT_FALSE(config().contains("proxies"));  // nothing else was there
}

TEST_F(CliProxyTest, AFileThatIsNotAnObjectIsLeftAlone)
{
    for (const QByteArray& text : {QByteArray("{\"auths\": "), QByteArray("[1]"), QByteArray("{\"proxies\": 3}")}) {
        write(text);
        const auto result = set({"http://p:1", "", ""});
        EXPECT_FALSE(result.changed);
        EXPECT_FALSE(result.error.isEmpty()) << text.toStdString();
        EXPECT_EQ(read(), text);
    }
}
