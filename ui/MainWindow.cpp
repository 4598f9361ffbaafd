#include "ui/MainWindow.h"

#include "ui/EmptyState.h"

#include <QClipboard>
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

QLabel* pageHeading(const QString& text, QWidget* parent)
{
    auto* label = new QLabel(text, parent);
    QFont font = label->font();
    font.setPointSizeF(font.pointSizeF() * 1.5);
    font.setWeight(QFont::DemiBold);
    label->setFont(font);
    return label;
}

// One summary figure of the overview strip on the Activity page.
QFrame* summaryCard(const QString& caption, const QString& value, QWidget* parent)
{
    auto* card = new QFrame(parent);
    card->setFrameShape(QFrame::StyledPanel);
    card->setObjectName(QStringLiteral("summaryCard"));
    auto* layout = new QVBoxLayout(card);
    auto* valueLabel = new QLabel(value, card);
    QFont font = valueLabel->font();
    font.setPointSizeF(font.pointSizeF() * 1.6);
    font.setWeight(QFont::DemiBold);
    valueLabel->setFont(font);
    auto* captionLabel = new QLabel(caption, card);
    captionLabel->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(valueLabel);
    layout->addWidget(captionLabel);
    return card;
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
    for (const Page page : kPages) {
        auto* item = new QListWidgetItem(navigationIcon(iconFor(page), palette()), pageTitle(page),
                                         m_navigation);
        item->setSizeHint(QSize(0, 36));
        m_pages->addWidget(buildPage(page));
    }
    body->addWidget(m_navigation);
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

QWidget* MainWindow::buildPage(Page page)
{
    switch (page) {
    case Page::Activity:
        return buildActivityPage();
    case Page::Settings:
        return buildSettingsPage();
    case Page::Approvals:
        return new EmptyState(iconFor(page), tr("Nothing is waiting for you"),
                              tr("When a spending rule says “ask”, the agent's request waits "
                                 "here until you approve or deny it."),
                              this);
    case Page::Tokens:
        return new EmptyState(iconFor(page), tr("No tokens bought yet"),
                              tr("Each L402 token an agent buys is kept here, reused for later "
                                 "requests to the same site, and shown with its caveats."),
                              this);
    case Page::Budgets:
        return new EmptyState(iconFor(page), tr("No spending rules yet"),
                              tr("Rules say how much each site and each agent may spend per "
                                 "payment, day, week or month, and when to ask you first."),
                              this);
    case Page::Agents:
        return new EmptyState(iconFor(page), tr("No agents yet"),
                              tr("Each agent gets its own credential for the local proxy, so "
                                 "its spending can be limited and revoked on its own."),
                              this);
    case Page::Node:
        return m_options.demo
                   ? new EmptyState(iconFor(page), tr("Demo node"),
                                    tr("This demo pays with simulated funds. Start without "
                                       "--demo to connect your own Lightning node."),
                                    this)
                   : new EmptyState(iconFor(page), tr("No node connected"),
                                    tr("Payments go through your own node: LND, Core "
                                       "Lightning, LNbits, phoenixd or Nostr Wallet Connect."),
                                    this);
    }
    return new QWidget(this);
}

QWidget* MainWindow::buildActivityPage()
{
    auto* page = new QWidget(this);
    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(24, 20, 24, 20);
    layout->addWidget(pageHeading(tr("Activity"), page));

    auto* cards = new QHBoxLayout();
    cards->addWidget(summaryCard(tr("spent today"), tr("0 sat"), page));
    cards->addWidget(summaryCard(tr("payments today"), QStringLiteral("0"), page));
    cards->addWidget(summaryCard(tr("waiting for approval"), QStringLiteral("0"), page));
    layout->addLayout(cards);

    layout->addWidget(new EmptyState(iconFor(Page::Activity), tr("No payments yet"),
                                     tr("Every payment and every refusal an agent meets "
                                        "appears here, with the site, the agent and the "
                                        "reason."),
                                     page),
                      1);
    return page;
}

QWidget* MainWindow::buildSettingsPage()
{
    auto* page = new QWidget(this);
    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(24, 20, 24, 20);
    layout->addWidget(pageHeading(tr("Settings"), page));
    auto* form = new QFormLayout();
    form->setLabelAlignment(Qt::AlignRight);
    auto* dataDir = new QLabel(m_options.dataDir, page);
    dataDir->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(tr("Data folder:"), dataDir);
    form->addRow(tr("Mode:"),
                 new QLabel(m_options.demo ? tr("Demo (simulated funds)") : tr("Real node"), page));
    form->addRow(tr("Version:"), new QLabel(QLatin1String(L402_VERSION), page));
    layout->addLayout(form);
    layout->addStretch(1);
    return page;
}

} // namespace l402::ui
