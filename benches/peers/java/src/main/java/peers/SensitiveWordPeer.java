package peers;

import com.github.houbb.sensitive.word.bs.SensitiveWordBs;
import com.github.houbb.sensitive.word.support.allow.WordAllows;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * houbb/sensitive-word over the lines of a corpus, with only the given dictionary (its built-in
 * word list is replaced, its built-in allow list emptied), the library's default options
 * (ignoreCase, ignoreWidth, ignoreNumStyle, ignoreChineseStyle, ignoreEnglishStyle on;
 * ignoreRepeat, number/e-mail/URL/IPv4 checks off), or with every folding option off
 * ({@code plain}).
 *
 * <p>Usage: {@code SensitiveWordPeer LINES DICT [defaults|plain] [WARMUP] [ROUNDS]}. Each round
 * calls {@code findAll} once per line; the time of a round is the current thread's CPU time
 * (ThreadMXBean). Prints one tab-separated line: mode, dictionary words, lines, bytes (UTF-8, no
 * line ends), matches of one round, then MB/s per CPU-second as median, min and max over the
 * rounds (MB = 10^6 bytes).
 */
public final class SensitiveWordPeer {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: SensitiveWordPeer LINES DICT [defaults|plain] [WARMUP] [ROUNDS]");
            System.exit(2);
        }
        List<String> lines = Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8);
        List<String> words = new ArrayList<>();
        for (String w : Files.readAllLines(Path.of(args[1]), StandardCharsets.UTF_8)) {
            String t = w.strip();
            if (!t.isEmpty()) {
                words.add(t);
            }
        }
        String mode = args.length > 2 ? args[2] : "defaults";
        int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 5;

        SensitiveWordBs bs = SensitiveWordBs.newInstance()
                .wordDeny(() -> words)
                .wordAllow(WordAllows.empty());
        if (mode.equals("plain")) {
            bs = bs.ignoreCase(false).ignoreWidth(false).ignoreNumStyle(false)
                    .ignoreChineseStyle(false).ignoreEnglishStyle(false).ignoreRepeat(false);
        } else if (!mode.equals("defaults")) {
            throw new IllegalArgumentException("mode must be defaults or plain: " + mode);
        }
        bs = bs.init();

        long bytes = 0;
        for (String l : lines) {
            bytes += l.getBytes(StandardCharsets.UTF_8).length;
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long matches = 0;
        for (int i = 0; i < warmup; i++) {
            matches = round(bs, lines);
        }
        double[] mbps = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            long t0 = mx.getCurrentThreadCpuTime();
            long m = round(bs, lines);
            long ns = mx.getCurrentThreadCpuTime() - t0;
            if (m != matches && warmup > 0) {
                throw new IllegalStateException("match count changed: " + matches + " then " + m);
            }
            matches = m;
            mbps[i] = bytes / (ns / 1e9) / 1e6;
        }
        double[] sorted = mbps.clone();
        Arrays.sort(sorted);
        double median = rounds % 2 == 1 ? sorted[rounds / 2]
                : (sorted[rounds / 2 - 1] + sorted[rounds / 2]) / 2;
        System.out.printf("%s\t%d\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f%n", mode, words.size(), lines.size(),
                bytes, matches, median, sorted[0], sorted[rounds - 1]);
    }

    private static long round(SensitiveWordBs bs, List<String> lines) {
        long n = 0;
        for (String l : lines) {
            n += bs.findAll(l).size();
        }
        return n;
    }
}
