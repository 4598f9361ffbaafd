#pragma once

#include <QProcess>
#include <QString>
#include <QTemporaryFile>

#include <memory>

namespace l402::test {

// A real X server for tests that need one: Xvfb picks a free display itself (-displayfd)
// and tells us which, so parallel tests never collide. Stopped on destruction.
class XvfbServer {
public:
    bool start()
    {
        m_displayFile = std::make_unique<QTemporaryFile>();
        if (!m_displayFile->open()) {
            return false;
        }
        // -displayfd writes the display number to the inherited fd; use a file for it.
        m_process.setStandardOutputFile(m_displayFile->fileName());
        m_process.start(QStringLiteral("Xvfb"),
                        {QStringLiteral("-displayfd"), QStringLiteral("1"),
                         QStringLiteral("-screen"), QStringLiteral("0"),
                         QStringLiteral("1280x800x24"), QStringLiteral("-nolisten"),
                         QStringLiteral("tcp")});
        if (!m_process.waitForStarted(10'000)) {
            return false;
        }
        for (int attempt = 0; attempt < 400; ++attempt) {
            QFile file(m_displayFile->fileName());
            if (file.open(QIODevice::ReadOnly)) {
                const QByteArray number = file.readAll().trimmed();
                if (!number.isEmpty()) {
                    m_display = QStringLiteral(":") + QString::fromLatin1(number);
                    return true;
                }
            }
            if (m_process.waitForFinished(25)) {
                return false; // Xvfb exited
            }
        }
        return false;
    }

    QString display() const { return m_display; }

    ~XvfbServer()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.terminate();
            if (!m_process.waitForFinished(5'000)) {
                m_process.kill();
                m_process.waitForFinished(5'000);
            }
        }
    }

private:
    QProcess m_process;
    std::unique_ptr<QTemporaryFile> m_displayFile;
    QString m_display;
};

} // namespace l402::test
