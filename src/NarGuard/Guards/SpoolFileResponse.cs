using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace NarGuard.Guards;

/// <summary>
/// Sends a verified spool file: 200 with Content-Length and Accept-Ranges, or 206/416 for a single byte range.
/// </summary>
/// <remarks>
/// Kestrel has no sendfile, so the fewest copies are: the kernel copies the file straight into the response pipe's
/// own buffer (a synchronous pread into <c>BodyWriter.GetMemory</c>), then into the socket. The framework's file
/// results read an asynchronous FileStream into a buffer of their own and write that into the pipe: one more copy,
/// and a thread-pool hop per 64 KiB read on Linux (the warm-NAR profile in docs/BENCHMARKS.md: 436 MB/s against
/// nginx's 965). Spool files are in the page cache when they are hot; a cold read blocks a pool thread for one
/// read, as the framework's synchronous file APIs do.
/// <para>
/// Ranges: one range of unit bytes (Nix resumes a cut download with <c>bytes=N-</c>). Several ranges, or an
/// If-Range (NarGuard sends no validators, so none can match), get the whole file with 200, as RFC 9110 allows.
/// </para>
/// </remarks>
public static class SpoolFileResponse
{
    private const int ReadSize = 64 * 1024;
    private const int FlushThreshold = 256 * 1024;

    /// <summary>Writes the response for <paramref name="file"/>; returns the body bytes sent (0 for HEAD and 416).</summary>
    public static async Task<long> SendAsync(HttpContext context, FileStream file, string source)
    {
        var response = context.Response;
        var length = file.Length;
        response.ContentType = "application/x-nix-nar";
        response.Headers.AcceptRanges = "bytes";
        response.Headers[GuardEndpoints.SourceHeader] = source;

        long from = 0;
        var count = length;
        switch (SelectRange(context.Request, length, out var range))
        {
            case RangeSelection.Whole:
                response.StatusCode = StatusCodes.Status200OK;
                break;
            case RangeSelection.Partial:
                (from, count) = range;
                response.StatusCode = StatusCodes.Status206PartialContent;
                response.Headers.ContentRange = new ContentRangeHeaderValue(from, from + count - 1, length).ToString();
                break;
            case RangeSelection.Unsatisfiable:
                response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                response.Headers.ContentRange = new ContentRangeHeaderValue(length).ToString();
                response.ContentLength = 0;
                return 0;
        }
        response.ContentLength = count;
        if (HttpMethods.IsHead(context.Request.Method) || count == 0)
        {
            return 0;
        }
        return await CopyAsync(context, file, from, count).ConfigureAwait(false);
    }

    private static async Task<long> CopyAsync(HttpContext context, FileStream file, long offset, long count)
    {
        var writer = context.Response.BodyWriter;
        var handle = file.SafeFileHandle;
        var remaining = count;
        var pending = 0;
        while (remaining > 0)
        {
            var memory = writer.GetMemory(ReadSize);
            var want = (int)Math.Min(memory.Length, remaining);
            var read = RandomAccess.Read(handle, memory.Span[..want], offset);
            if (read == 0)
            {
                // The file shrank under us (damaged spool): never let a short body end cleanly.
                context.Abort();
                return count - remaining;
            }
            writer.Advance(read);
            offset += read;
            remaining -= read;
            pending += read;
            if (pending >= FlushThreshold || remaining == 0)
            {
                pending = 0;
                FlushResult flushed = await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
                if (flushed.IsCanceled || flushed.IsCompleted)
                {
                    return count - remaining;
                }
            }
        }
        return count;
    }

    private enum RangeSelection
    {
        Whole,
        Partial,
        Unsatisfiable,
    }

    private static RangeSelection SelectRange(HttpRequest request, long length, out (long From, long Count) range)
    {
        range = default;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            return RangeSelection.Whole;
        }
        var header = request.Headers.Range;
        if (header.Count != 1 || request.Headers.ContainsKey(HeaderNames.IfRange)
            || !RangeHeaderValue.TryParse(header.ToString(), out var parsed)
            || !string.Equals(parsed.Unit.Value, "bytes", StringComparison.OrdinalIgnoreCase)
            || parsed.Ranges.Count != 1)
        {
            return RangeSelection.Whole;
        }
        RangeItemHeaderValue? item = null;
        foreach (var only in parsed.Ranges)
        {
            item = only;
        }
        if (item!.From is { } start)
        {
            if (start >= length)
            {
                return RangeSelection.Unsatisfiable;
            }
            var end = item.To is { } to && to < length ? to : length - 1;
            range = (start, end - start + 1);
            return RangeSelection.Partial;
        }
        // A suffix range: the last N bytes.
        var suffix = item.To ?? 0;
        if (suffix == 0 || length == 0)
        {
            return RangeSelection.Unsatisfiable;
        }
        var take = Math.Min(suffix, length);
        range = (length - take, take);
        return RangeSelection.Partial;
    }
}
