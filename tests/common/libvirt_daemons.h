#pragma once

// libvirtd and virtlogd for the tests that drive a real libvirt (the VM library's integration
// test, the GUI's Apply & restart test, the libvirt e2e test). Neither runs on a fresh machine:
// a test starts the ones that do not answer on their sockets and stops only those it started.
//
// They are started by berth_test_libvirt_supervisor (libvirt_supervisor.cpp), a child of the
// test that is their parent and reaper: it stops them when the test closes its stdin, and also
// when the test dies without doing so (a crash, CTest's timeout), so no run leaves daemons behind
// for the next one. The tests that use them share CTest's RESOURCE_LOCK libvirtd, so one test
// never stops the daemons under another.

#include <QString>

#include <memory>

class QProcess;

namespace berth::testing {

class LibvirtDaemons {
public:
    LibvirtDaemons();
    LibvirtDaemons(const LibvirtDaemons&) = delete;
    LibvirtDaemons& operator=(const LibvirtDaemons&) = delete;
    ~LibvirtDaemons();

    // Empty when libvirtd is installed, else why the test cannot run (for a skip message).
    static QString notInstalledReason();
    // BERTH_TEST_LIBVIRT_URI, else qemu:///system for root and qemu:///session for others.
    static QString defaultUri();

    // Makes the daemons `uri` needs answer: for qemu:///system virtlogd and libvirtd, started when
    // their sockets are silent; a session daemon libvirt starts by itself. Then undefines the
    // domains earlier test runs left (inactive, of a temporary instance directory that is gone).
    // Empty on success.
    QString ensureRunning(const QString& uri);
    // Stops the daemons ensureRunning started (libvirtd first), none other.
    void stopStarted();

    // The log of the libvirtd ensureRunning started (its QEMU driver in detail), empty for one it
    // did not start; gone once stopStarted ran.
    QString libvirtdLog() const { return m_libvirtdLog; }
    // Prints the last `lines` lines of that log, each cut to 240 characters, to stdout (a failure
    // message is cut at about a kilobyte); returns a line for the message that says so.
    QString printLibvirtdLogTail(int lines) const;

private:
    void printReport(const QByteArray& lines);
    static void removeLeftoverDomains(const QString& uri);

    std::unique_ptr<QProcess> m_supervisor;
    QString m_libvirtdLog;
};

}  // namespace berth::testing
