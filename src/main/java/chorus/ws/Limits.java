package chorus.ws;

import chorus.config.Config;

/** The per-connection limits, from the configuration: a frame budget and how text may arrive. */
final class Limits {
    private final Config config;

    Limits(Config config) {
        this.config = config;
    }

    TokenBucket connectionBudget() {
        return new TokenBucket(config.ratePerSecond(), config.rateBurst());
    }

    TextAssembler assembler(boolean json) {
        return new TextAssembler(frameBytes(json), config.maxFragments(), config.messageTimeout().toNanos());
    }

    /**
     * The largest message a socket may send. A chorus.v1 frame wraps the text in JSON, where an
     * escape takes up to six bytes for one: a text within the limit is never refused for how it
     * was escaped.
     */
    long frameBytes(boolean json) {
        return json ? 6L * config.maxMessageBytes() + 1024 : config.maxMessageBytes();
    }

    int maxRoomsPerConnection() {
        return config.maxRoomsPerConnection();
    }

    int maxTextBytes() {
        return config.maxMessageBytes();
    }
}
