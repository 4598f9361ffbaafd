#include "ui/ActivityPage.h"

#include "ui/ActivityModel.h"
#include "ui/EmptyState.h"
#include "ui/Widgets.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QDateEdit>
#include <QFileDialog>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QPieSeries>
#include <QPieSlice>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QStackedBarSeries>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>
#include <QValueAxis>

namespace l402::ui {
namespace {

constexpr int kChartDays = 14;
constexpr int kChartSites = 5; // the biggest sites get their own colour; the rest are "Other"

const std::pair<const char*, const char*> kStatuses[] = {
    {"", QT_TRANSLATE_NOOP("ActivityPage", "Any status")},
    {"paid", QT_TRANSLATE_NOOP("ActivityPage", "Paid")},
    {"refused", QT_TRANSLATE_NOOP("ActivityPage", "Refused")},
    {"denied", QT_TRANSLATE_NOOP("ActivityPage", "Denied")},
    {"timed_out", QT_TRANSLATE_NOOP("ActivityPage", "Timed out")},
    {"failed", QT_TRANSLATE_NOOP("ActivityPage", "Failed")},
    {"pending", QT_TRANSLATE_NOOP("ActivityPage", "Pending")},
    {"recovered", QT_TRANSLATE_NOOP("ActivityPage", "Recovered")},
};

QChartView* makeChartView(QWidget* parent)
{
    auto* chart = new QChart();
    chart->setBackgroundVisible(false);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->legend()->setAlignment(Qt::AlignBottom);
    auto* view = new QChartView(chart, parent);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumHeight(230);
    view->setFrameShape(QFrame::StyledPanel);
    return view;
}

// Labels and axes in the window's text colour, so the charts read in light and dark.
void styleChart(QChart* chart, const QPalette& palette)
{
    const QColor text = palette.color(QPalette::WindowText);
    chart->setTitleBrush(text);
    chart->legend()->setLabelColor(text);
    for (QAbstractAxis* axis : chart->axes()) {
        axis->setLabelsColor(text);
        axis->setTitleBrush(text);
        QColor grid = text;
        grid.setAlpha(40);
        axis->setGridLineColor(grid);
        axis->setLinePenColor(grid);
    }
}

const QColor kSeriesColours[] = {QColor(0x2f, 0x7d, 0xd1), QColor(0xe0, 0x8e, 0x0b),
                                 QColor(0x2e, 0x9e, 0x6a), QColor(0x9b, 0x59, 0xb6),
                                 QColor(0xd1, 0x4f, 0x4f), QColor(0x8a, 0x94, 0xa0)};

} // namespace

ActivityPage::ActivityPage(QWidget* parent)
    : QWidget(parent)
    , m_model(new ActivityModel(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(24, 20, 24, 20);
    layout->addWidget(pageHeading(tr("Activity"), this));

    auto* cards = new QHBoxLayout();
    cards->addWidget(
        summaryCard(tr("spent today"), tr("0 sat"), QStringLiteral("spentToday"), this));
    cards->addWidget(
        summaryCard(tr("spent this month"), tr("0 sat"), QStringLiteral("spentMonth"), this));
    cards->addWidget(summaryCard(tr("payments today"), QStringLiteral("0"),
                                 QStringLiteral("paymentsToday"), this));
    cards->addWidget(summaryCard(tr("refused today"), QStringLiteral("0"),
                                 QStringLiteral("refusalsToday"), this));
    cards->addWidget(summaryCard(tr("waiting for approval"), QStringLiteral("0"),
                                 QStringLiteral("pendingApprovals"), this));
    cards->addWidget(summaryCard(tr("active tokens"), QStringLiteral("0"),
                                 QStringLiteral("activeTokens"), this));
    layout->addLayout(cards);

    m_stack = new QStackedWidget(this);
    m_stack->addWidget(new EmptyState(QStringLiteral(":/icons/activity.svg"), tr("No payments yet"),
                                      tr("Every payment and every refusal an agent meets "
                                         "appears here, with the site, the agent and the "
                                         "reason."),
                                      m_stack));
    auto* content = new QWidget(m_stack);
    auto* contentLayout = new QVBoxLayout(content);
    contentLayout->setContentsMargins(0, 8, 0, 0);

    auto* charts = new QHBoxLayout();
    m_dailyChart = makeChartView(content);
    m_dailyChart->setObjectName(QStringLiteral("dailySpendChart"));
    m_siteChart = makeChartView(content);
    m_siteChart->setObjectName(QStringLiteral("siteSpendChart"));
    charts->addWidget(m_dailyChart, 1);
    charts->addWidget(m_siteChart, 1);
    contentLayout->addLayout(charts);

    auto* filters = new QHBoxLayout();
    m_site = new QComboBox(content);
    m_site->setObjectName(QStringLiteral("filterSite"));
    m_site->setMinimumContentsLength(16);
    m_site->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_agent = new QComboBox(content);
    m_agent->setObjectName(QStringLiteral("filterAgent"));
    m_status = new QComboBox(content);
    m_status->setObjectName(QStringLiteral("filterStatus"));
    for (const auto& [kind, label] : kStatuses) {
        m_status->addItem(tr(label), QString::fromLatin1(kind));
    }
    m_useDates = new QCheckBox(tr("From"), content);
    m_useDates->setObjectName(QStringLiteral("filterUseDates"));
    m_from = new QDateEdit(QDate::currentDate().addDays(-6), content);
    m_from->setObjectName(QStringLiteral("filterFrom"));
    m_from->setCalendarPopup(true);
    m_to = new QDateEdit(QDate::currentDate(), content);
    m_to->setObjectName(QStringLiteral("filterTo"));
    m_to->setCalendarPopup(true);
    m_from->setEnabled(false);
    m_to->setEnabled(false);
    m_text = new QLineEdit(content);
    m_text->setObjectName(QStringLiteral("filterText"));
    m_text->setPlaceholderText(tr("Search site, agent, reason…"));
    m_text->setClearButtonEnabled(true);
    m_export = new QPushButton(tr("Export CSV…"), content);
    m_export->setObjectName(QStringLiteral("exportCsv"));
    filters->addWidget(m_site, 2);
    filters->addWidget(m_agent, 1);
    filters->addWidget(m_status, 1);
    filters->addWidget(m_useDates);
    filters->addWidget(m_from);
    filters->addWidget(new QLabel(tr("to"), content));
    filters->addWidget(m_to);
    filters->addWidget(m_text, 2);
    filters->addWidget(m_export);
    contentLayout->addLayout(filters);

    auto* splitter = new QSplitter(Qt::Horizontal, content);
    m_table = new QTableView(splitter);
    m_table->setObjectName(QStringLiteral("activityTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setSortingEnabled(true);
    m_table->horizontalHeader()->setSortIndicator(0, Qt::DescendingOrder);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_table->verticalHeader()->hide();
    // Fixed row heights: the view never measures rows, so a million of them cost nothing.
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 10);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    const int widths[] = {140, 160, 95, 80, 75, 75};
    for (int column = 0; column < 6; ++column) {
        m_table->setColumnWidth(column, widths[column]);
    }

    auto* detail = new QWidget(splitter);
    auto* detailLayout = new QVBoxLayout(detail);
    detailLayout->setContentsMargins(8, 0, 0, 0);
    m_detailTitle = new QLabel(tr("Select a row to see its payment."), detail);
    m_detailTitle->setObjectName(QStringLiteral("activityDetailTitle"));
    m_detailTitle->setWordWrap(true);
    m_detail = new QPlainTextEdit(detail);
    m_detail->setObjectName(QStringLiteral("activityDetail"));
    m_detail->setReadOnly(true);
    useFixedFont(m_detail);
    m_openToken = new QPushButton(tr("Show its token"), detail);
    m_openToken->setObjectName(QStringLiteral("openToken"));
    m_openToken->setEnabled(false);
    detailLayout->addWidget(m_detailTitle);
    detailLayout->addWidget(m_detail, 1);
    detailLayout->addWidget(m_openToken, 0, Qt::AlignRight);
    splitter->addWidget(m_table);
    splitter->addWidget(detail);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({760, 300});
    contentLayout->addWidget(splitter, 1);
    m_rows = new QLabel(content);
    m_rows->setObjectName(QStringLiteral("activityRows"));
    m_rows->setForegroundRole(QPalette::PlaceholderText);
    contentLayout->addWidget(m_rows);
    m_stack->addWidget(content);
    layout->addWidget(m_stack, 1);

    m_refreshDebounce = new QTimer(this);
    m_refreshDebounce->setSingleShot(true);
    m_refreshDebounce->setInterval(250);
    connect(m_refreshDebounce, &QTimer::timeout, this, &ActivityPage::refresh);
    m_textDebounce = new QTimer(this);
    m_textDebounce->setSingleShot(true);
    m_textDebounce->setInterval(300);
    connect(m_textDebounce, &QTimer::timeout, this, &ActivityPage::applyFilter);

    for (QComboBox* combo : {m_site, m_agent, m_status}) {
        connect(combo, &QComboBox::currentIndexChanged, this, &ActivityPage::applyFilter);
    }
    connect(m_useDates, &QCheckBox::toggled, this, [this](bool on) {
        m_from->setEnabled(on);
        m_to->setEnabled(on);
        applyFilter();
    });
    connect(m_from, &QDateEdit::dateChanged, this, &ActivityPage::applyFilter);
    connect(m_to, &QDateEdit::dateChanged, this, &ActivityPage::applyFilter);
    connect(m_text, &QLineEdit::textChanged, m_textDebounce, qOverload<>(&QTimer::start));
    connect(m_export, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Export activity"),
            QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation) +
                QStringLiteral("/l402-wallet-activity.csv"),
            tr("CSV files (*.csv)"));
        if (!path.isEmpty()) {
            exportTo(path);
        }
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) { showDetail(current); });
    connect(m_openToken, &QPushButton::clicked, this, [this] {
        if (m_detailToken) {
            Q_EMIT tokenRequested(m_detailToken);
        }
    });
    connect(m_model, &ActivityModel::reloaded, this, [this](qint64 rows) {
        const bool filtered = !(m_model->filter() == service::ActivityFilter{});
        m_stack->setCurrentIndex(rows == 0 && !filtered ? 0 : 1);
        m_rows->setText(rows == 1 ? tr("1 row") : tr("%1 rows").arg(QLocale().toString(rows)));
    });
    connect(m_model, &ActivityModel::failed, this,
            [this](const QString& message) { m_rows->setText(message); });
}

void ActivityPage::setService(service::WalletService* service)
{
    m_service = service;
    m_model->setService(service);
    if (!service) {
        m_export->setEnabled(true);
        return;
    }
    // At most one refresh per 250 ms however busy the agents are: the first change starts the
    // timer, later ones wait for it (restarting it would starve the page under steady traffic).
    const auto soon = [this] {
        if (!m_refreshDebounce->isActive()) {
            m_refreshDebounce->start();
        }
    };
    connect(service, &service::WalletService::activityChanged, this, soon);
    connect(service, &service::WalletService::approvalRequested, this, soon);
    connect(service, &service::WalletService::approvalResolved, this, soon);
    // The first rows first: the overview, charts and filter lists (which read more of the
    // history) are asked for once the first page is on screen.
    auto* once = new QObject(this);
    const auto rest = [this, once] {
        if (once->property("done").toBool()) {
            return;
        }
        once->setProperty("done", true);
        once->deleteLater();
        refreshFilterChoices();
        refreshOverview();
        refreshCharts();
    };
    connect(m_model, &ActivityModel::pageLoaded, once, rest);
    connect(m_model, &ActivityModel::reloaded, once, [rest](qint64 rows) {
        if (rows == 0) {
            rest();
        }
    });
}

void ActivityPage::refresh()
{
    if (!m_service) {
        return;
    }
    m_model->reload();
    refreshFilterChoices();
    refreshOverview();
    refreshCharts();
}

void ActivityPage::applyFilter()
{
    service::ActivityFilter filter;
    filter.site = m_site->currentData().toString();
    filter.agent = m_agent->currentData().toString();
    filter.status = m_status->currentData().toString();
    if (m_useDates->isChecked()) {
        filter.from = QDateTime(m_from->date(), QTime(0, 0)).toSecsSinceEpoch();
        filter.to = QDateTime(m_to->date().addDays(1), QTime(0, 0)).toSecsSinceEpoch();
    }
    filter.text = m_text->text().trimmed();
    m_model->setFilter(filter);
}

void ActivityPage::refreshFilterChoices()
{
    service::ask(
        m_service.data(), this,
        [](service::WalletService& wallet) {
            return std::pair{wallet.sites(), wallet.agentNames()};
        },
        [this](std::pair<Result<QStringList>, Result<QStringList>> choices) {
            const auto fill = [](QComboBox* combo, const QString& any,
                                 const Result<QStringList>& values, bool withWallet) {
                const QString current = combo->currentData().toString();
                const QSignalBlocker blocker(combo);
                combo->clear();
                combo->addItem(any, QString());
                if (withWallet) {
                    combo->addItem(tr("(the wallet's own fetch)"), QStringLiteral("-"));
                }
                for (const QString& value : values ? values.value() : QStringList{}) {
                    combo->addItem(value, value);
                }
                combo->setCurrentIndex(std::max(0, combo->findData(current)));
            };
            fill(m_site, tr("All sites"), choices.first, false);
            fill(m_agent, tr("All agents"), choices.second, true);
        });
}

void ActivityPage::refreshOverview()
{
    service::ask(
        m_service.data(), this, [](service::WalletService& wallet) { return wallet.overview(); },
        [this](Result<service::Overview> overview) {
            if (!overview) {
                return;
            }
            const service::Overview& o = overview.value();
            const auto set = [this](const char* name, const QString& text) {
                if (auto* label = findChild<QLabel*>(QLatin1String(name))) {
                    label->setText(text);
                }
            };
            // Whole sats on the cards; the table has the msat.
            set("spentToday", satText(o.spentTodayMsat - o.spentTodayMsat % 1000));
            set("spentMonth", satText(o.spentThisMonthMsat - o.spentThisMonthMsat % 1000));
            set("paymentsToday", QString::number(o.paymentsToday));
            set("refusalsToday", QString::number(o.refusalsToday));
            set("pendingApprovals", QString::number(o.pendingApprovals));
            set("activeTokens", QString::number(o.activeTokens));
            Q_EMIT overviewChanged(o);
        });
}

void ActivityPage::refreshCharts()
{
    service::ask(
        m_service.data(), this,
        [](service::WalletService& wallet) {
            return std::pair{wallet.spendByDay(kChartDays), wallet.spendBySite(30)};
        },
        [this](
            std::pair<Result<QList<service::DaySpend>>, Result<QList<service::SiteTotal>>> spend) {
            const QList<service::SiteTotal> totals =
                spend.second ? spend.second.value() : QList<service::SiteTotal>{};
            QStringList top;
            for (const service::SiteTotal& total : totals) {
                if (top.size() < kChartSites) {
                    top << total.site;
                }
            }
            // Per day, stacked by site.
            QChart* daily = m_dailyChart->chart();
            daily->removeAllSeries();
            for (QAbstractAxis* axis : daily->axes()) {
                daily->removeAxis(axis);
                delete axis;
            }
            daily->setTitle(tr("Spent per day, last %1 days (sat)").arg(kChartDays));
            // Day numbers under the bars (a date would not fit 14 of them); the months in the
            // axis title.
            QStringList days;
            const QDate first = QDate::currentDate().addDays(-(kChartDays - 1));
            for (int i = 0; i < kChartDays; ++i) {
                days << QString::number(first.addDays(i).day());
            }
            auto* stacked = new QStackedBarSeries();
            QHash<QString, QBarSet*> sets;
            const auto setFor = [&](const QString& site) {
                const QString key = top.contains(site) ? site : tr("Other");
                QBarSet*& set = sets[key];
                if (!set) {
                    set = new QBarSet(key);
                    set->setColor(kSeriesColours[std::min<qsizetype>(
                        top.contains(site) ? top.indexOf(site) : kChartSites, kChartSites)]);
                    set->setBorderColor(Qt::transparent);
                    for (int i = 0; i < kChartDays; ++i) {
                        set->append(0.0);
                    }
                }
                return set;
            };
            qreal highest = 0;
            QList<qreal> perDay(kChartDays, 0.0);
            for (const service::DaySpend& day :
                 spend.first ? spend.first.value() : QList<service::DaySpend>{}) {
                const qint64 offset = first.daysTo(day.day);
                if (offset < 0 || offset >= kChartDays) {
                    continue;
                }
                QBarSet* set = setFor(day.site);
                set->replace(int(offset), set->at(int(offset)) + qreal(day.msat) / 1000.0);
                perDay[offset] += qreal(day.msat) / 1000.0;
                highest = std::max(highest, perDay[offset]);
            }
            for (const QString& site : top) {
                if (sets.contains(site)) {
                    stacked->append(sets.value(site));
                }
            }
            if (sets.contains(tr("Other"))) {
                stacked->append(sets.value(tr("Other")));
            }
            daily->addSeries(stacked);
            auto* dayAxis = new QBarCategoryAxis();
            dayAxis->append(days);
            const QLocale locale;
            dayAxis->setTitleText(
                first.month() == QDate::currentDate().month()
                    ? locale.toString(first, QStringLiteral("MMMM yyyy"))
                    : QStringLiteral("%1 – %2").arg(
                          locale.toString(first, QStringLiteral("MMMM")),
                          locale.toString(QDate::currentDate(), QStringLiteral("MMMM yyyy"))));
            daily->addAxis(dayAxis, Qt::AlignBottom);
            stacked->attachAxis(dayAxis);
            auto* valueAxis = new QValueAxis();
            valueAxis->setRange(0, highest > 0 ? highest * 1.1 : 10);
            valueAxis->setLabelFormat(QStringLiteral("%.0f"));
            valueAxis->setTickCount(4);
            valueAxis->applyNiceNumbers();
            daily->addAxis(valueAxis, Qt::AlignLeft);
            stacked->attachAxis(valueAxis);
            daily->legend()->setVisible(false); // the ring beside it is the key
            styleChart(daily, palette());

            // Per site, last 30 days: a ring whose legend is also the key to the colours
            // of the daily bars.
            QChart* sites = m_siteChart->chart();
            sites->removeAllSeries();
            sites->setTitle(tr("Per site, last 30 days"));
            auto* ring = new QPieSeries();
            ring->setHoleSize(0.55);
            qint64 otherMsat = 0;
            for (const service::SiteTotal& total : totals) {
                if (!top.contains(total.site)) {
                    otherMsat += total.msat;
                    continue;
                }
                QString host = total.site;
                host.remove(QStringLiteral("https://")).remove(QStringLiteral("http://"));
                QPieSlice* slice = ring->append(host, qreal(total.msat));
                slice->setColor(kSeriesColours[top.indexOf(total.site)]);
                slice->setBorderColor(palette().color(QPalette::Window));
            }
            if (otherMsat > 0) {
                QPieSlice* slice = ring->append(tr("Other sites"), qreal(otherMsat));
                slice->setColor(kSeriesColours[kChartSites]);
                slice->setBorderColor(palette().color(QPalette::Window));
            }
            sites->addSeries(ring);
            sites->legend()->setVisible(!totals.isEmpty());
            sites->legend()->setAlignment(Qt::AlignRight);
            styleChart(sites, palette());
        });
}

void ActivityPage::showDetail(const QModelIndex& index)
{
    m_detailToken = 0;
    m_openToken->setEnabled(false);
    const qint64 eventId = index.data(ActivityModel::EventIdRole).toLongLong();
    if (!index.isValid() || eventId == 0 || !m_service) {
        m_detailTitle->setText(tr("Select a row to see its payment."));
        m_detail->clear();
        return;
    }
    service::ask(
        m_service.data(), this,
        [eventId](service::WalletService& wallet) { return wallet.activityDetail(eventId); },
        [this](Result<service::ActivityDetail> detail) {
            if (!detail) {
                m_detailTitle->setText(detail.error().message);
                m_detail->clear();
                return;
            }
            const service::ActivityRow& row = detail->row;
            m_detailTitle->setText(
                tr("<b>%1</b> — %2 %3")
                    .arg(ActivityModel::kindText(row.kind).toHtmlEscaped(),
                         row.origin.toHtmlEscaped(),
                         row.amountMsat ? satText(row.amountMsat).toHtmlEscaped() : QString()));
            QStringList lines;
            lines << tr("Time:      %1").arg(timeText(row.at));
            lines << tr("Agent:     %1").arg(row.agent.isEmpty() ? tr("(wallet)") : row.agent);
            if (!row.code.isEmpty()) {
                lines << tr("Code:      %1").arg(row.code);
            }
            if (!row.message.isEmpty()) {
                lines << tr("Reason:    %1").arg(row.message);
            }
            if (!detail->paymentHash.isEmpty()) {
                lines << tr("Payment:   %1").arg(detail->paymentStatus);
                lines << tr("Fee:       %1").arg(satText(row.feeMsat));
                lines << tr("Hash:      %1").arg(detail->paymentHash);
                lines << QString() << tr("Invoice:") << detail->invoice;
                if (!detail->invoiceReport.isEmpty()) {
                    lines << QString() << detail->invoiceReport;
                }
            }
            m_detail->setPlainText(lines.join(u'\n'));
            m_detailToken = detail->tokenId;
            m_openToken->setEnabled(m_detailToken != 0);
        });
}

void ActivityPage::exportTo(const QString& path)
{
    if (!m_service) {
        return;
    }
    const service::ActivityFilter filter = m_model->filter();
    m_export->setEnabled(false);
    service::askLater<Result<qint64>>(
        m_service.data(), this,
        [filter, path](service::WalletService& wallet, std::function<void(Result<qint64>)> reply) {
            wallet.exportCsv(filter, path, std::move(reply));
        },
        [this, path](Result<qint64> rows) {
            m_export->setEnabled(true);
            if (!rows) {
                QMessageBox::warning(this, tr("Export failed"), rows.error().message);
                return;
            }
            m_rows->setText(
                tr("Exported %1 rows to %2.").arg(QLocale().toString(rows.value()), path));
            Q_EMIT exported(rows.value(), path);
        });
}

} // namespace l402::ui
