#include "tests/support/ProcessRunner.h"
#include "tests/support/XvfbServer.h"

#include <QDir>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>

// What `make run` does, checked for real: the binary started with --demo on an X server
// (Xvfb) maps a top-level window titled "L402 Wallet", found with xwininfo as a person's
// window manager would see it.
class AppLaunchTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void demoWindowAppears()
    {
        l402::test::XvfbServer xvfb;
        QVERIFY2(xvfb.start(), "Xvfb did not start");
        QTemporaryDir home;
        QProcess app;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("DISPLAY"), xvfb.display());
        environment.remove(QStringLiteral("QT_QPA_PLATFORM")); // a real xcb window
        environment.remove(QStringLiteral("WAYLAND_DISPLAY"));
        environment.insert(QStringLiteral("L402_WALLET_PASSPHRASE"), QStringLiteral("launch-test"));
        app.setProcessEnvironment(environment);
        app.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        app.start(QStringLiteral(L402_WALLET_EXECUTABLE),
                  {QStringLiteral("--demo"), QStringLiteral("--data-dir"), home.path()});
        QVERIFY(app.waitForStarted());

        auto windowTree = [&] {
            QProcess xwininfo;
            xwininfo.setProcessEnvironment(environment);
            xwininfo.start(QStringLiteral("xwininfo"),
                           {QStringLiteral("-root"), QStringLiteral("-tree")});
            xwininfo.waitForFinished(5'000);
            return xwininfo.readAllStandardOutput();
        };
        QVERIFY2(l402::test::pollUntil([&] { return windowTree().contains("\"L402 Wallet\""); },
                                       60'000, 50),
                 "no window titled \"L402 Wallet\" appeared");
        QVERIFY(app.state() == QProcess::Running);
        // Demo data lives apart from real data, and the GUI unlocked (created) the wallet.
        QVERIFY(l402::test::pollUntil(
            [&] { return QFile::exists(home.path() + QStringLiteral("/demo/wallet.db")); },
            30'000));
        app.terminate();
        QVERIFY(app.waitForFinished(20'000));
    }
};

QTEST_GUILESS_MAIN(AppLaunchTest)
#include "AppLaunchTest.moc"
