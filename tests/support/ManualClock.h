#pragma once

#include "core/util/Clock.h"

#include <QDateTime>

namespace l402::test {

// A clock tests move by hand, to land exactly on expiry and budget boundaries.
class ManualClock final : public Clock {
public:
    explicit ManualClock(QDateTime start = QDateTime::fromSecsSinceEpoch(1'700'000'000, Qt::UTC))
        : m_now(std::move(start))
    {
    }
    QDateTime now() const override { return m_now; }
    void set(const QDateTime& now) { m_now = now; }
    void setSeconds(qint64 secondsSinceEpoch)
    {
        m_now = QDateTime::fromSecsSinceEpoch(secondsSinceEpoch, Qt::UTC);
    }
    void advance(qint64 seconds) { m_now = m_now.addSecs(seconds); }

private:
    QDateTime m_now;
};

} // namespace l402::test
