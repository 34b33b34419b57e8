using System.Text.Json;

namespace AtticEmulator;

/// <summary>Attic's JSON error bodies: <c>{"code":404,"error":"NoSuchObject","message":"..."}</c>.</summary>
internal static class AtticErrors
{
    public static Task NoSuchObject(HttpContext http) =>
        Write(http, StatusCodes.Status404NotFound, "NoSuchObject", "The requested object does not exist.");

    public static Task NoSuchCache(HttpContext http) =>
        Write(http, StatusCodes.Status404NotFound, "NoSuchCache", "The requested cache does not exist.");

    public static Task Unauthorized(HttpContext http) =>
        Write(http, StatusCodes.Status401Unauthorized, "Unauthorized", "Unauthorized.");

    public static Task InternalServerError(HttpContext http) =>
        Write(http, StatusCodes.Status500InternalServerError, "InternalServerError", "The server encountered an internal error or misconfiguration.");

    public static Task IncompleteNar(HttpContext http) =>
        Write(http, StatusCodes.Status503ServiceUnavailable, "IncompleteNar", "The requested NAR has missing chunks and needs to be repaired.");

    /// <summary>Attic's <c>RequestError</c>: a bad upload (no or bad NAR info, NAR hash or size not as announced).</summary>
    public static Task RequestError(HttpContext http, string message) =>
        Write(http, StatusCodes.Status400BadRequest, "RequestError", message);

    private static async Task Write(HttpContext http, int status, string error, string message)
    {
        var body = new MemoryStream();
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteNumber("code", status);
            json.WriteString("error", error);
            json.WriteString("message", message);
            json.WriteEndObject();
        }

        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await http.Response.Body.WriteAsync(body.GetBuffer().AsMemory(0, (int)body.Length), http.RequestAborted);
        }
    }
}
