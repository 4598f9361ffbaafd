#pragma once

#include "core/service/WalletService.h"

#include <QPointer>
#include <QWidget>

class QChartView;
class QComboBox;
class QDateEdit;
class QCheckBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QStackedWidget;
class QTableView;
class QTimer;

namespace l402::ui {

class ActivityModel;

// The overview (today's figures and two charts) above every payment and refusal: a lazily
// paged table with filters, a detail pane and CSV export.
class ActivityPage : public QWidget {
    Q_OBJECT
public:
    explicit ActivityPage(QWidget* parent = nullptr);

    void setService(service::WalletService* service);
    void refresh();

    ActivityModel* model() const { return m_model; }
    QTableView* table() const { return m_table; }
    // Writes the filtered rows to `path` (what the Export button does after its file dialog).
    void exportTo(const QString& path);

Q_SIGNALS:
    void tokenRequested(qint64 tokenId);
    void overviewChanged(const l402::service::Overview& overview);
    void exported(qint64 rows, const QString& path);

private:
    void applyFilter();
    void showDetail(const QModelIndex& index);
    void refreshOverview();
    void refreshCharts();
    void refreshFilterChoices();

    QPointer<service::WalletService> m_service;
    ActivityModel* m_model = nullptr;
    QStackedWidget* m_stack = nullptr;
    QTableView* m_table = nullptr;
    QComboBox* m_site = nullptr;
    QComboBox* m_agent = nullptr;
    QComboBox* m_status = nullptr;
    QCheckBox* m_useDates = nullptr;
    QDateEdit* m_from = nullptr;
    QDateEdit* m_to = nullptr;
    QLineEdit* m_text = nullptr;
    QPushButton* m_export = nullptr;
    QLabel* m_rows = nullptr;
    QLabel* m_detailTitle = nullptr;
    QPlainTextEdit* m_detail = nullptr;
    QPushButton* m_openToken = nullptr;
    qint64 m_detailToken = 0;
    QChartView* m_dailyChart = nullptr;
    QChartView* m_siteChart = nullptr;
    QTimer* m_refreshDebounce = nullptr;
    QTimer* m_textDebounce = nullptr;
};

} // namespace l402::ui
