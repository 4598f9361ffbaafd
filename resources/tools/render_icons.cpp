// Renders the app icon SVG to the hicolor PNG sizes desktops look up (build-time tool):
//   render_icons <icon.svg> <output dir> <name> <size>...
// writes <output dir>/<N>x<N>/apps/<name>.png. QtSvg does the drawing; nothing else here can
// rasterise SVG without adding a dependency.

#include <QDir>
#include <QGuiApplication>
#include <QImage>
#include <QPainter>
#include <QSvgRenderer>

#include <cstdio>

int main(int argc, char** argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QGuiApplication application(argc, argv);
    const QStringList arguments = application.arguments();
    if (arguments.size() < 5) {
        std::fputs("usage: render_icons ICON.svg OUTDIR NAME SIZE...\n", stderr);
        return 64;
    }
    QSvgRenderer renderer(arguments.at(1));
    if (!renderer.isValid()) {
        std::fprintf(stderr, "render_icons: %s is not a valid SVG\n", qPrintable(arguments.at(1)));
        return 1;
    }
    for (qsizetype i = 4; i < arguments.size(); ++i) {
        const int size = arguments.at(i).toInt();
        if (size <= 0) {
            return 64;
        }
        QImage image(size, size, QImage::Format_ARGB32_Premultiplied);
        image.fill(Qt::transparent);
        QPainter painter(&image);
        painter.setRenderHint(QPainter::Antialiasing);
        renderer.render(&painter);
        painter.end();
        const QString folder = QStringLiteral("%1/%2x%2/apps").arg(arguments.at(2)).arg(size);
        if (!QDir().mkpath(folder) ||
            !image.save(QStringLiteral("%1/%2.png").arg(folder, arguments.at(3)))) {
            std::fprintf(stderr, "render_icons: cannot write %s\n", qPrintable(folder));
            return 1;
        }
    }
    return 0;
}
