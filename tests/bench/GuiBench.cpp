// The window's figures (issue #8): time from launch to the window on screen, the Activity page
// opening on a wallet with 1,000,000 payments and scrolling it end to end without loading
// every row, and resident memory.
//
//  1. launch: the release binary under Xvfb, from QProcess::start until xwininfo sees a mapped
//     window titled "L402 Wallet" (median of 5 starts, each on a fresh demo wallet);
//  2. Activity: a wallet with 1M payments (+ their events and refusals) written by
//     seedHistory; the wallet on its own thread as in the app (store, demo node, engine,
//     WalletService), an ActivityPage on this thread; "open" is setService() until the first
//     page of rows is there; "scroll" is a jump to the last row and to 20 points between,
//     each until its rows are there; pages held afterwards are counted;
//  3. RSS: of the real binary opened on that 1M wallet, once its Activity page has loaded
//     (read from /proc after the control socket answers and a settle), and of this process.

#include "core/node/DemoNode.h"
#include "core/payments/PaymentEngine.h"
#include "core/service/WalletService.h"
#include "tests/support/HistorySeed.h"
#include "tests/support/StoreFixtures.h"
#include "tests/support/XvfbServer.h"
#include "ui/ActivityModel.h"
#include "ui/ActivityPage.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QScrollBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace l402;

namespace {

qint64 rssKiB(qint64 pid = 0)
{
    QFile status(pid ? QStringLiteral("/proc/%1/status").arg(pid)
                     : QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly)) {
        return -1;
    }
    for (const QByteArray& line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:")) {
            return line.mid(6).trimmed().split(' ').first().toLongLong();
        }
    }
    return -1;
}

// Runs the event loop until `done` or the deadline; returns whether `done` became true.
template <typename Done> bool spinUntil(Done done, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (!done()) {
        if (timer.elapsed() > timeoutMs) {
            return false;
        }
        QEventLoop loop;
        QTimer::singleShot(1, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return true;
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

// The main window (WM_CLASS l402-wallet, title "L402 Wallet") is mapped. Qt also makes small
// unmapped helper windows with the same title, so the window is picked by its class first.
bool windowMapped(const QString& display)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("DISPLAY"), display);
    const auto run = [&](const QStringList& arguments) {
        QProcess xwininfo;
        xwininfo.setProcessEnvironment(environment);
        xwininfo.start(QStringLiteral("xwininfo"), arguments);
        xwininfo.waitForFinished(5'000);
        return xwininfo.readAllStandardOutput();
    };
    for (const QByteArray& line :
         run({QStringLiteral("-root"), QStringLiteral("-tree")}).split('\n')) {
        if (line.contains("\"L402 Wallet\": (\"l402-wallet\"")) {
            const QByteArray id = line.trimmed().split(' ').first();
            return run({QStringLiteral("-id"), QString::fromLatin1(id)}).contains("IsViewable");
        }
    }
    return false;
}

void benchLaunch(const QString& executable)
{
    test::XvfbServer xvfb;
    if (!xvfb.start()) {
        std::printf("launch: Xvfb did not start; skipped\n");
        return;
    }
    std::vector<double> times;
    for (int run = 0; run < 5; ++run) {
        QTemporaryDir dir;
        QProcess app;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("DISPLAY"), xvfb.display());
        environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("xcb"));
        environment.insert(QStringLiteral("L402_WALLET_PASSPHRASE"), QStringLiteral("bench"));
        app.setProcessEnvironment(environment);
        QElapsedTimer timer;
        timer.start();
        app.start(executable, {QStringLiteral("--data-dir"), dir.path() + QStringLiteral("/w"),
                               QStringLiteral("--demo")});
        bool shown = false;
        while (timer.elapsed() < 20'000 && !(shown = windowMapped(xvfb.display()))) {
        }
        times.push_back(double(timer.elapsed()));
        app.terminate();
        app.waitForFinished(10'000);
        if (!shown) {
            std::printf("launch: the window never appeared\n");
            return;
        }
    }
    std::printf("launch to window on screen:     median %.0f ms (min %.0f, max %.0f; 5 starts, "
                "xwininfo polling adds ~5 ms)\n",
                median(times), *std::min_element(times.begin(), times.end()),
                *std::max_element(times.begin(), times.end()));
}

} // namespace

int main(int argc, char** argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication application(argc, argv);
    const QString executable = QStringLiteral(L402_WALLET_EXECUTABLE);
    const qint64 payments = argc > 1 ? QByteArray(argv[1]).toLongLong() : 1'000'000;

    benchLaunch(executable);

    QTemporaryDir dir;
    const QString dataDir = dir.path() + QStringLiteral("/wallet");
    {
        auto wallet = test::openWalletAndWait(
            test::passphraseRequest(dataDir, QByteArrayLiteral("bench passphrase")), nullptr,
            SystemClock::instance());
        if (!wallet) {
            std::printf("cannot create the wallet: %s\n", qPrintable(wallet.error().message));
            return 1;
        }
        QElapsedTimer timer;
        timer.start();
        if (auto seeded = test::seedHistory((*wallet)->database(), payments,
                                            SystemClock::instance().nowSeconds(), 365);
            !seeded) {
            std::printf("seeding failed: %s\n", qPrintable(seeded.error().message));
            return 1;
        }
        std::printf("seeded %lld payments (+ events, refusals) in %.1f s\n",
                    static_cast<long long>(payments), double(timer.elapsed()) / 1000.0);
    }

    // The wallet side on its own thread, as GuiSession runs it.
    QThread walletThread;
    walletThread.start();
    struct WalletSide {
        std::unique_ptr<store::WalletStore> store;
        std::unique_ptr<node::DemoNode> node;
        std::unique_ptr<policy::ApprovalBroker> broker;
        std::unique_ptr<payments::PaymentEngine> engine;
        std::unique_ptr<service::WalletService> service;
    };
    auto side = std::make_shared<WalletSide>();
    QObject anchor;
    anchor.moveToThread(&walletThread);
    QMetaObject::invokeMethod(
        &anchor,
        [side, dataDir] {
            auto opened = test::openWalletAndWait(
                test::passphraseRequest(dataDir, QByteArrayLiteral("bench passphrase")), nullptr,
                SystemClock::instance());
            side->store = std::move(opened.value());
            side->node = std::make_unique<node::DemoNode>(std::make_shared<node::DemoLedger>());
            side->broker = std::make_unique<policy::ApprovalBroker>(SystemClock::instance());
            side->engine = std::make_unique<payments::PaymentEngine>(
                *side->store, *side->node, *side->broker, SystemClock::instance());
            side->service = std::make_unique<service::WalletService>(*side->store, *side->engine,
                                                                     *side->broker);
        },
        Qt::BlockingQueuedConnection);

    ui::ActivityPage page;
    page.resize(1100, 800);
    page.show();
    ui::ActivityModel* model = page.model();
    QElapsedTimer open;
    open.start();
    page.setService(side->service.get());
    const bool opened = spinUntil(
        [&] {
            if (model->rowCount() == 0) {
                return false;
            }
            (void)model->data(model->index(0, 0));
            return model->rowAt(0).has_value();
        },
        30'000);
    const double openMs = double(open.nsecsElapsed()) / 1e6;
    std::printf("Activity open (1st page shown): %.1f ms over %d rows%s\n", openMs,
                model->rowCount(), opened ? "" : " (TIMED OUT)");
    // Wait for the overview and charts that follow the first page, so scrolling is measured on
    // a quiet wallet thread.
    spinUntil([] { return false; }, 1'500);

    QTableView* table = page.table();
    std::vector<double> jumps;
    const int rows = model->rowCount();
    for (int step = 1; step <= 21; ++step) {
        const int target = step == 21 ? rows - 1 : int(qint64(rows) * step / 21);
        QElapsedTimer jump;
        jump.start();
        table->scrollTo(model->index(target, 0), QAbstractItemView::PositionAtCenter);
        const bool loaded = spinUntil(
            [&] {
                (void)model->data(model->index(target, 0));
                return model->rowAt(target).has_value();
            },
            30'000);
        jumps.push_back(double(jump.nsecsElapsed()) / 1e6);
        if (!loaded) {
            std::printf("scroll: row %d never loaded\n", target);
            break;
        }
    }
    std::printf("Activity scroll end to end:     21 jumps, median %.1f ms, slowest %.1f ms "
                "(the last row: %.1f ms); %d pages held (max %d), %lld pages read of %d\n",
                median(jumps), *std::max_element(jumps.begin(), jumps.end()), jumps.back(),
                model->cachedPages(), ui::ActivityModel::kMaxCachedPages,
                static_cast<long long>(model->pagesRequested()),
                (rows + ui::ActivityModel::kPageSize - 1) / ui::ActivityModel::kPageSize);
    std::printf("  each jump (ms):");
    for (const double ms : jumps) {
        std::printf(" %.0f", ms);
    }
    std::printf("\n");
    std::printf("RSS of this benchmark process:  %.1f MB\n", double(rssKiB()) / 1024.0);

    // CSV export of the whole history, in chunks on the wallet's thread; meanwhile a probe
    // asks the wallet thread every 10 ms and the longest wait is how long a payment would
    // have waited.
    {
        const QString csv = dir.path() + QStringLiteral("/activity.csv");
        bool done = false;
        qint64 exportedRows = 0;
        QObject::connect(&page, &ui::ActivityPage::exported, &page, [&](qint64 rows) {
            exportedRows = rows;
            done = true;
        });
        QElapsedTimer timer;
        timer.start();
        page.exportTo(csv);
        double longestStall = 0;
        while (!done && timer.elapsed() < 600'000) {
            QElapsedTimer probe;
            probe.start();
            QMetaObject::invokeMethod(
                side->service.get(), [] {}, Qt::BlockingQueuedConnection);
            longestStall = std::max(longestStall, double(probe.nsecsElapsed()) / 1e6);
            spinUntil([] { return false; }, 10);
        }
        std::printf("CSV export of the whole history: %lld rows in %.1f s (%.1f MB); the wallet "
                    "thread answered within %.0f ms throughout\n",
                    static_cast<long long>(exportedRows), double(timer.elapsed()) / 1000.0,
                    double(QFileInfo(csv).size()) / 1e6, longestStall);
    }

    page.hide();
    QMetaObject::invokeMethod(
        &anchor,
        [side] {
            side->service.reset();
            side->engine.reset();
            side->broker.reset();
            side->node.reset();
            side->store.reset();
        },
        Qt::BlockingQueuedConnection);
    walletThread.quit();
    walletThread.wait();

    // The real binary on the 1M wallet, offscreen, with its Activity page loaded.
    QProcess app;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    environment.insert(QStringLiteral("L402_WALLET_PASSPHRASE"),
                       QStringLiteral("bench passphrase"));
    app.setProcessEnvironment(environment);
    app.start(executable, {QStringLiteral("--data-dir"), dataDir});
    const bool ready = spinUntil(
        [&] {
            QProcess status;
            status.setProcessEnvironment(environment);
            status.start(executable,
                         {QStringLiteral("--data-dir"), dataDir, QStringLiteral("approvals")});
            status.waitForFinished(5'000);
            return status.exitCode() == 0;
        },
        60'000);
    spinUntil([] { return false; }, 3'000); // its first page, overview and charts
    std::printf("RSS of l402-wallet on the 1M wallet, window open: %.1f MB%s\n",
                double(rssKiB(app.processId())) / 1024.0, ready ? "" : " (never unlocked)");
    app.terminate();
    app.waitForFinished(10'000);
    return 0;
}
