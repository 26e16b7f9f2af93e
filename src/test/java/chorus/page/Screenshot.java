package chorus.page;

import chorus.support.Browser;
import chorus.support.Pages;
import chorus.support.TestServer;
import chorus.support.WsClient;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.ColorScheme;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.net.URI;
import javax.imageio.ImageIO;

/**
 * Makes docs/screenshot.png (bin/screenshot): ann on a desktop-sized light tab and bob on a
 * phone-sized dark tab in #lobby, side by side, with a third person who writes right to left.
 */
public final class Screenshot {
    private Screenshot() {
    }

    /** Waits until the page shows this many messages, so each speaks after the last. */
    private static void shown(Page page, int messages) {
        page.locator("#log li[data-id]").nth(messages - 1).waitFor();
    }

    public static void main(String[] args) throws Exception {
        try (TestServer server = new TestServer(); Browser browser = new Browser()) {
            Page ann = Pages.open(browser.newPage(new com.microsoft.playwright.Browser.NewContextOptions()
                    .setViewportSize(900, 620).setColorScheme(ColorScheme.LIGHT)), server.port(), "ann", "lobby");
            Page bob = Pages.open(browser.newPage(new com.microsoft.playwright.Browser.NewContextOptions()
                    .setViewportSize(390, 620).setColorScheme(ColorScheme.DARK)), server.port(), "bob", "lobby");
            try (WsClient maryam = WsClient.connect(URI.create(server.ws() + "?room=lobby&name=%D9%85%D8%B1%DB%8C%D9%85"))) {
                Pages.say(ann, "Morning! The deploy went out at 9.");
                shown(bob, 1);
                Pages.say(bob, "Nice. Anything to watch?");
                shown(ann, 2);
                ann.locator("#text").pressSequentially("Two things:");
                ann.locator("#text").press("Shift+Enter");
                ann.locator("#text").pressSequentially("- the new outbox keeps what you type offline");
                ann.locator("#text").press("Shift+Enter");
                ann.locator("#text").pressSequentially("- <b>markup</b> stays text");
                ann.locator("#text").press("Enter");
                shown(bob, 3);
                maryam.send("سلام! همه چیز خوب است");
                shown(bob, 4);
                Pages.say(bob, "Thanks, looks good.");
                shown(ann, 5);
                shown(bob, 5);
                ann.waitForTimeout(300);
                BufferedImage left = ImageIO.read(new ByteArrayInputStream(ann.screenshot()));
                BufferedImage right = ImageIO.read(new ByteArrayInputStream(bob.screenshot()));
                int gap = 24;
                BufferedImage both = new BufferedImage(left.getWidth() + gap + right.getWidth(),
                        Math.max(left.getHeight(), right.getHeight()), BufferedImage.TYPE_INT_RGB);
                Graphics2D g = both.createGraphics();
                g.setColor(new Color(0x9ca3af));
                g.fillRect(0, 0, both.getWidth(), both.getHeight());
                g.drawImage(left, 0, 0, null);
                g.drawImage(right, left.getWidth() + gap, 0, null);
                g.dispose();
                ImageIO.write(both, "png", new File("docs/screenshot.png"));
            }
        }
    }
}
