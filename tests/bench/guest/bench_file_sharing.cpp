// A host directory shared into the VM (virtiofs) against the VM's own data disk (ext4 on
// virtio-blk), the same work on each in one invocation: unpacking a 5,000-file source tree
// (metadata-heavy, like a checkout or node_modules) and reading back a 200 MB file with the VM's
// page cache dropped. Times are taken inside the container (from /proc/uptime), so the docker CLI
// and container start are not counted. Prints the medians and the ratios share / disk.
//
// Usage: berth_guest_bench_file_sharing [RUNS]   (default 3 per case)

#include "bench_records.h"
#include "e2e_support.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QProcess>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace {

constexpr int kDirectories = 250;
constexpr int kFilesPerDirectory = 20;  // 5,000 files
constexpr qint64 kBigFileBytes = 200ll << 20;

using berth::bench::median;

// A source tree of 5,000 small files (1-16 KiB, about 40 MB) as tree.tar, and a 200 MB file.
void makeInputs(const QString& dir)
{
    const QString tree = dir + "/tree";
    QByteArray block(16 * 1024, 'x');
    for (int d = 0; d < kDirectories; ++d) {
        const QString sub = QStringLiteral("%1/src/module%2").arg(tree).arg(d);
        QDir().mkpath(sub);
        for (int f = 0; f < kFilesPerDirectory; ++f) {
            QFile file(QStringLiteral("%1/file%2.c").arg(sub).arg(f));
            if (!file.open(QIODevice::WriteOnly)) { qFatal("cannot write %s", qPrintable(file.fileName())); }
            file.write(block.left(1024 * (1 + (d * kFilesPerDirectory + f) % 16)));
        }
    }
    if (QProcess::execute("tar", {"-C", tree, "-cf", dir + "/tree.tar", "src"}) != 0) { qFatal("tar failed"); }
    QDir(tree).removeRecursively();
    QFile big(dir + "/big");
    if (!big.open(QIODevice::WriteOnly)) { qFatal("cannot write %s", qPrintable(big.fileName())); }
    QByteArray chunk(1 << 20, '\0');
    for (qint64 written = 0; written < kBigFileBytes; written += chunk.size()) {
        for (qsizetype i = 0; i < chunk.size(); i += 4096) { chunk[i] = static_cast<char>(written / 4096 + i); }
        big.write(chunk);
    }
}

// Seconds `work` took inside a privileged container (which may drop the VM's caches), with the
// share at /share and the volume at /disk.
double timed(berth::e2e::Environment& env, const QString& shared, const QString& work)
{
    const QString script = "sync; echo 3 > /proc/sys/vm/drop_caches; a=$(cut -d' ' -f1 /proc/uptime); " + work
        + "; b=$(cut -d' ' -f1 /proc/uptime); echo \"elapsed $a $b\"";
    const auto run = env.docker({"--context", "berth", "run", "--rm", "--privileged", "-v", shared + ":/share", "-v",
                                 "berth-bench-disk:/disk", berth::e2e::kTinyImage, "sh", "-c", script},
                                std::chrono::minutes(10));
    const QList<QByteArray> words = run.output.trimmed().split('\n').last().split(' ');
    if (run.exitCode != 0 || words.size() != 3 || words[0] != "elapsed") { qFatal("%s", qPrintable(run.describe())); }
    return words[2].toDouble() - words[1].toDouble();
}

}  // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
    berth::e2e::Environment env;
    QString why;
    if (!env.setUp(&why)) {
        std::fprintf(stderr, "cannot run: %s\n", qPrintable(why));
        return 2;
    }
    const QString shared = env.home() + "/bench-share";
    QDir().mkpath(shared);
    makeInputs(shared);
    if (env.berthctl({"settings", "set", "fileSharing.directories", shared}).exitCode != 0) { qFatal("settings"); }
    const auto start = env.berthctl({"start"}, std::chrono::minutes(8));
    if (start.exitCode != 0) { qFatal("%s", qPrintable(start.describe())); }
    if (!env.importTinyImage()) { qFatal("cannot import %s", berth::e2e::kTinyImage); }
    // The same inputs on the data disk, so each side reads and writes only itself.
    timed(env, shared, "cp /share/tree.tar /share/big /disk/");

    struct Case {
        const char* key;  // the records' metrics: <key>_share and <key>_disk
        const char* name;
        QString onShare;
        QString onDisk;
        std::vector<double> share, disk;
    };
    std::vector<Case> cases = {
        {"unpack",
         "unpack 5,000 files",
         "rm -rf /share/out; mkdir /share/out; tar -xf /share/tree.tar -C /share/out",
         "rm -rf /disk/out; mkdir /disk/out; tar -xf /disk/tree.tar -C /disk/out",
         {},
         {}},
        {"read", "read 200 MB, cold", "cat /share/big > /dev/null", "cat /disk/big > /dev/null", {}, {}},
    };
    std::printf("file sharing (virtiofs) against the data disk, %d runs each (TCG)\n", runs);
    for (int i = 0; i < runs; ++i) {
        for (auto& c : cases) {
            c.disk.push_back(timed(env, shared, c.onDisk));
            c.share.push_back(timed(env, shared, c.onShare));
            std::printf("  %-20s run %d: share %6.2f s, disk %6.2f s\n", c.name, i + 1, c.share.back(), c.disk.back());
            std::fflush(stdout);
        }
    }
    std::printf("\n%-20s %10s %10s %8s\n", "median", "share", "disk", "ratio");
    for (const auto& c : cases) {
        std::printf("%-20s %8.2f s %8.2f s %8.2f\n", c.name, median(c.share), median(c.disk),
                    median(c.share) / median(c.disk));
    }
    const berth::bench::Records records("file_sharing");
    for (const auto& c : cases) {
        const std::string key = c.key;
        records.add(key + "_disk", std::string(c.name) + ", data disk", "s", c.disk);
        records.add(key + "_share", std::string(c.name) + ", shared directory", "s", c.share, key + "_disk");
    }
    env.docker({"--context", "berth", "volume", "rm", "-f", "berth-bench-disk"});
    env.tearDown();
    return 0;
}
