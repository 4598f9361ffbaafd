#include "ui/MainWindow.h"

#include "core/service/WalletService.h"
#include "ui/ActivityPage.h"
#include "ui/AgentsPage.h"
#include "ui/ApprovalPrompt.h"
#include "ui/ApprovalsPage.h"
#include "ui/BudgetsPage.h"
#include "ui/EmptyState.h"
#include "ui/NodePage.h"
#include "ui/SettingsPage.h"
#include "ui/TokensPage.h"
#include "ui/Widgets.h"

#include <QClipboard>
#include <QDateTime>
#include <QFile>
#include <QFontDatabase>
#include <QFormLayout>
#include <QFrame>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QListWidget>
#include <QMetaEnum>
#include <QPainter>
#include <QPointer>
#include <QPushButton>
#include <QStackedWidget>
#include <QSvgRenderer>
#include <QVBoxLayout>

namespace l402::ui {
namespace {

constexpr MainWindow::Page kPages[] = {
    MainWindow::Page::Activity, MainWindow::Page::Approvals, MainWindow::Page::Tokens,
    MainWindow::Page::Budgets,  MainWindow::Page::Agents,    MainWindow::Page::Node,
    MainWindow::Page::Settings,
};

QString iconFor(MainWindow::Page page)
{
    switch (page) {
    case MainWindow::Page::Activity:
        return QStringLiteral(":/icons/activity.svg");
    case MainWindow::Page::Approvals:
        return QStringLiteral(":/icons/approvals.svg");
    case MainWindow::Page::Tokens:
        return QStringLiteral(":/icons/tokens.svg");
    case MainWindow::Page::Budgets:
        return QStringLiteral(":/icons/budgets.svg");
    case MainWindow::Page::Agents:
        return QStringLiteral(":/icons/agents.svg");
    case MainWindow::Page::Node:
        return QStringLiteral(":/icons/node.svg");
    case MainWindow::Page::Settings:
        return QStringLiteral(":/icons/settings.svg");
    }
    return {};
}

// The navigation icons are grey strokes; on the selection highlight they are drawn in the
// highlighted-text colour so they stay visible in light and dark palettes.
QIcon navigationIcon(const QString& path, const QPalette& palette)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return QIcon(path);
    }
    const QByteArray svg = file.readAll();
    QByteArray selectedSvg = svg;
    selectedSvg.replace("#5f6b7a", palette.color(QPalette::HighlightedText).name().toLatin1());
    // Rendered to pixmaps at 1x and 2x: the SVG icon engine keeps one added pixmap per mode,
    // which would not serve both sizes.
    QIcon icon;
    for (const auto& [bytes, mode] :
         {std::pair{svg, QIcon::Normal}, std::pair{selectedSvg, QIcon::Selected}}) {
        QSvgRenderer renderer(bytes);
        for (const int size : {20, 40}) {
            QPixmap pixmap(size, size);
            pixmap.fill(Qt::transparent);
            QPainter painter(&pixmap);
            renderer.render(&painter);
            painter.end();
            icon.addPixmap(pixmap, mode);
        }
    }
    return icon;
}

} // namespace

MainWindow::MainWindow(const Options& options, QWidget* parent)
    : QMainWindow(parent)
    , m_options(options)
{
    setWindowTitle(QStringLiteral("L402 Wallet"));
    setObjectName(QStringLiteral("mainWindow"));
    resize(1040, 680);
    setMinimumSize(760, 480);

    auto* central = new QWidget(this);
    auto* outer = new QVBoxLayout(central);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->setSpacing(0);
    if (m_options.demo) {
        outer->addWidget(buildDemoBanner());
    }
    m_walletProblem = new QLabel(central);
    m_walletProblem->setObjectName(QStringLiteral("walletProblem"));
    m_walletProblem->setWordWrap(true);
    m_walletProblem->setMargin(8);
    m_walletProblem->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_walletProblem->setStyleSheet(QStringLiteral(
        "#walletProblem { background: #b3261e; color: #ffffff; font-weight: 600; }"));
    m_walletProblem->hide();
    outer->addWidget(m_walletProblem);
    outer->addWidget(buildPausedBanner());

    auto* body = new QHBoxLayout();
    body->setContentsMargins(0, 0, 0, 0);
    body->setSpacing(0);
    outer->addLayout(body, 1);

    m_navigation = new QListWidget(central);
    m_navigation->setObjectName(QStringLiteral("navigation"));
    m_navigation->setIconSize(QSize(20, 20));
    m_navigation->setFixedWidth(190);
    m_navigation->setFrameShape(QFrame::NoFrame);
    m_navigation->setSpacing(2);
    m_navigation->setAutoFillBackground(true);
    m_navigation->setBackgroundRole(QPalette::AlternateBase);
    m_pages = new QStackedWidget(central);
    m_activity = new ActivityPage(m_pages);
    m_approvals = new ApprovalsPage(m_pages);
    m_tokens = new TokensPage(m_pages);
    m_budgets = new BudgetsPage(m_pages);
    m_agents = new AgentsPage(m_pages);
    m_node = new NodePage(m_pages);
    m_node->setDemo(m_options.demo);
    m_settings = new SettingsPage(m_options.dataDir, m_options.demo, m_pages);
    const QList<QWidget*> pages{m_activity, m_approvals, m_tokens,  m_budgets,
                                m_agents,   m_node,      m_settings};
    for (const Page page : kPages) {
        auto* item = new QListWidgetItem(navigationIcon(iconFor(page), palette()), pageTitle(page),
                                         m_navigation);
        item->setSizeHint(QSize(0, 36));
        m_pages->addWidget(pages.at(static_cast<int>(page)));
    }
    m_prompt = new ApprovalPrompt(this);
    connect(m_settings, &SettingsPage::lockRequested, this, &MainWindow::lockRequested);
    connect(m_activity, &ActivityPage::overviewChanged, this, &MainWindow::overviewChanged);
    connect(m_activity, &ActivityPage::tokenRequested, this, [this] { showPage(Page::Tokens); });
    connect(m_approvals, &ApprovalsPage::promptRequested, m_prompt, &ApprovalPrompt::present);
    connect(m_approvals, &ApprovalsPage::answerRequested, this,
            [this](const QString& id, bool approve) {
                if (m_prompt->currentId() == id) {
                    m_prompt->answer(approve);
                    return;
                }
                if (!m_service) {
                    return;
                }
                QPointer<service::WalletService> target = m_service;
                QMetaObject::invokeMethod(target.data(), [target, id, approve] {
                    if (target) {
                        target->answerApproval(id, approve, policy::Remember::Once);
                    }
                });
            });
    // The kill switch sits under the navigation, on every page.
    auto* column = new QWidget(central);
    column->setObjectName(QStringLiteral("navigationColumn"));
    column->setFixedWidth(190);
    column->setAutoFillBackground(true);
    column->setBackgroundRole(QPalette::AlternateBase);
    auto* columnLayout = new QVBoxLayout(column);
    columnLayout->setContentsMargins(0, 0, 0, 8);
    columnLayout->setSpacing(4);
    columnLayout->addWidget(m_navigation, 1);
    m_pauseButton = new QPushButton(tr("Pause all spending"), column);
    m_pauseButton->setObjectName(QStringLiteral("pauseSpending"));
    m_pauseButton->setToolTip(tr("Stop every payment at once; free requests and tokens already "
                                 "bought keep working."));
    m_pauseButton->setEnabled(false); // until the wallet is open
    connect(m_pauseButton, &QPushButton::clicked, this, [this] {
        if (m_spendingPaused) {
            resumeAllSpending();
        } else {
            pauseAllSpending();
        }
    });
    auto* buttonRow = new QHBoxLayout();
    buttonRow->setContentsMargins(8, 0, 8, 0);
    buttonRow->addWidget(m_pauseButton);
    columnLayout->addLayout(buttonRow);
    body->addWidget(column);
    body->addWidget(m_pages, 1);
    connect(m_navigation, &QListWidget::currentRowChanged, m_pages,
            &QStackedWidget::setCurrentIndex);
    m_navigation->setCurrentRow(0);

    setCentralWidget(central);
}

QString MainWindow::pageTitle(Page page)
{
    switch (page) {
    case Page::Activity:
        return tr("Activity");
    case Page::Approvals:
        return tr("Approvals");
    case Page::Tokens:
        return tr("Tokens");
    case Page::Budgets:
        return tr("Budgets");
    case Page::Agents:
        return tr("Agents");
    case Page::Node:
        return tr("Node");
    case Page::Settings:
        return tr("Settings");
    }
    return {};
}

void MainWindow::showWalletProblem(const QString& message)
{
    m_walletProblem->setText(tr("The wallet is locked: %1").arg(message));
    m_walletProblem->show();
}

void MainWindow::showProblem(const QString& message)
{
    m_walletProblem->setText(message);
    m_walletProblem->show();
}

void MainWindow::clearWalletProblem()
{
    m_walletProblem->hide();
}

void MainWindow::showPage(Page page)
{
    m_navigation->setCurrentRow(static_cast<int>(page));
}

MainWindow::Page MainWindow::currentPage() const
{
    return static_cast<Page>(m_pages->currentIndex());
}

QWidget* MainWindow::buildDemoBanner()
{
    auto* banner = new QWidget(this);
    banner->setObjectName(QStringLiteral("demoBanner"));
    // Amber with dark text reads as "caution" in both light and dark palettes.
    banner->setStyleSheet(QStringLiteral(
        "#demoBanner { background: #f3b33d; } #demoBanner QLabel { color: #2b2100; }"));
    banner->setAutoFillBackground(true);
    auto* layout = new QVBoxLayout(banner);
    layout->setContentsMargins(10, 6, 10, 6);
    layout->setSpacing(4);
    auto* title =
        new QLabel(tr("Demo — simulated funds. Nothing here spends real bitcoin."), banner);
    title->setAlignment(Qt::AlignCenter);
    title->setStyleSheet(QStringLiteral("font-weight: 600;"));
    layout->addWidget(title);

    m_demoTry = new QWidget(banner);
    auto* row = new QHBoxLayout(m_demoTry);
    row->setContentsMargins(0, 0, 0, 0);
    auto* prompt = new QLabel(tr("Try it from a terminal:"), m_demoTry);
    m_demoTryLine = new QLabel(m_demoTry);
    m_demoTryLine->setObjectName(QStringLiteral("demoTryLine"));
    m_demoTryLine->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_demoTryLine->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_demoTryLine->setWordWrap(true); // the whole line stays visible, wrapped at spaces
    auto* copy = new QPushButton(tr("Copy"), m_demoTry);
    copy->setObjectName(QStringLiteral("copyDemoLine"));
    connect(copy, &QPushButton::clicked, this,
            [this] { QGuiApplication::clipboard()->setText(m_demoTryLine->text()); });
    row->addWidget(prompt);
    row->addWidget(m_demoTryLine, 1);
    row->addWidget(copy);
    m_demoTry->hide(); // until the demo API and the proxy are up
    layout->addWidget(m_demoTry);
    return banner;
}

QWidget* MainWindow::buildPausedBanner()
{
    m_pausedBanner = new QWidget(this);
    m_pausedBanner->setObjectName(QStringLiteral("pausedBanner"));
    // Red like a stop sign: nothing is paid until the owner resumes.
    m_pausedBanner->setStyleSheet(QStringLiteral(
        "#pausedBanner { background: #b3261e; } #pausedBanner QLabel { color: #ffffff; }"));
    m_pausedBanner->setAttribute(Qt::WA_StyledBackground);
    auto* row = new QHBoxLayout(m_pausedBanner);
    row->setContentsMargins(10, 6, 10, 6);
    m_pausedText = new QLabel(m_pausedBanner);
    m_pausedText->setObjectName(QStringLiteral("pausedText"));
    m_pausedText->setWordWrap(true);
    auto* resume = new QPushButton(tr("Resume spending"), m_pausedBanner);
    resume->setObjectName(QStringLiteral("resumeSpending"));
    connect(resume, &QPushButton::clicked, this, &MainWindow::resumeAllSpending);
    row->addWidget(m_pausedText, 1);
    row->addWidget(resume);
    m_pausedBanner->hide();
    return m_pausedBanner;
}

void MainWindow::pauseAllSpending()
{
    if (!m_service) {
        return;
    }
    service::ask(
        m_service.data(), this, [](service::WalletService& wallet) { return wallet.pauseAll(); },
        [this](Result<service::SpendingView> result) {
            if (!result) {
                showProblem(tr("Spending could not be paused: %1").arg(result.error().message));
                return;
            }
            showSpending(result.value());
        });
}

void MainWindow::resumeAllSpending()
{
    if (!m_service) {
        return;
    }
    service::ask(
        m_service.data(), this, [](service::WalletService& wallet) { return wallet.resumeAll(); },
        [this](Result<service::SpendingView> result) {
            if (!result) {
                showProblem(tr("Spending could not be resumed: %1").arg(result.error().message));
                return;
            }
            showSpending(result.value());
        });
}

void MainWindow::showSpending(const service::SpendingView& spending)
{
    const bool changed = spending.walletPaused != m_spendingPaused;
    m_spendingPaused = spending.walletPaused;
    m_pauseButton->setEnabled(m_service != nullptr);
    m_pauseButton->setText(m_spendingPaused ? tr("Resume spending") : tr("Pause all spending"));
    if (m_spendingPaused) {
        m_pausedText->setText(
            tr("<b>All spending is paused</b> since %1. Agents' paid requests are refused "
               "(wallet_paused); free requests and tokens already bought still work.")
                .arg(QDateTime::fromSecsSinceEpoch(spending.pausedAt)
                         .toString(QStringLiteral("yyyy-MM-dd HH:mm"))));
    } else if (!spending.pausedAgents.isEmpty()) {
        m_pausedText->setText(tr("Spending is paused for %1 (agent_paused).")
                                  .arg(spending.pausedAgents.join(QStringLiteral(", "))));
    }
    m_pausedBanner->setVisible(m_spendingPaused || !spending.pausedAgents.isEmpty());
    m_pausedBanner->findChild<QPushButton*>(QStringLiteral("resumeSpending"))
        ->setVisible(m_spendingPaused);
    if (changed) {
        Q_EMIT spendingPausedChanged(m_spendingPaused);
    }
}

void MainWindow::setDemoTryLine(const QString& line)
{
    if (m_demoTryLine) {
        m_demoTryLine->setText(line);
        m_demoTryLine->setToolTip(line);
        m_demoTry->setVisible(!line.isEmpty());
    }
}

QString MainWindow::demoTryLine() const
{
    return m_demoTryLine ? m_demoTryLine->text() : QString();
}

void MainWindow::setService(service::WalletService* service)
{
    m_service = service;
    m_prompt->setService(service);
    if (!service) {
        showSpending(service::SpendingView{}); // unknown while locked; nothing pays then
        m_prompt->clear();
        m_approvals->model()->replaceAll({});
        m_activity->setService(nullptr);
        Q_EMIT approvalsPending(0);
        return;
    }
    // Connections to the service end with it (it is their sender).
    connect(service, &service::WalletService::approvalRequested, this,
            [this](const policy::ApprovalRequest& request) {
                m_prompt->enqueue(request);
                Q_EMIT approvalWaiting(tr("%1 to %2%3")
                                           .arg(satText(request.amountMsat), request.origin,
                                                request.agent.isEmpty()
                                                    ? QString()
                                                    : tr(" for %1").arg(request.agent)));
                Q_EMIT approvalsPending(m_prompt->queued());
            });
    connect(service, &service::WalletService::approvalResolved, this, [this](const QString& id) {
        m_prompt->resolved(id);
        Q_EMIT approvalsPending(m_prompt->queued());
    });
    connect(service, &service::WalletService::spendingChanged, this,
            [this](const service::SpendingView& spending) { showSpending(spending); });
    service::ask(
        service, this, [](service::WalletService& wallet) { return wallet.spending(); },
        [this](service::SpendingView spending) { showSpending(spending); });
    m_activity->setService(service);
    m_approvals->setService(service);
    m_tokens->setService(service);
    m_budgets->setService(service);
    m_agents->setService(service);
    m_node->setService(service);
    m_settings->setService(service);
    // Requests that were already waiting (the window opened after they arrived).
    service::ask(
        service, this, [](service::WalletService& wallet) { return wallet.pendingApprovals(); },
        [this](QList<policy::ApprovalRequest> pending) {
            for (const policy::ApprovalRequest& request : pending) {
                m_prompt->enqueue(request);
            }
            Q_EMIT approvalsPending(m_prompt->queued());
        });
}

} // namespace l402::ui
