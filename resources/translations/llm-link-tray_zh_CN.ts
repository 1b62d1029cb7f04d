<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Activity</name>
    <message>
        <location filename="../../app/ui/activity_window.py" line="29"/>
        <source>Client</source>
        <translation>客户端</translation>
    </message>
    <message>
        <location filename="../../app/ui/activity_window.py" line="30"/>
        <source>Last hour</source>
        <translation>最近一小时</translation>
    </message>
    <message>
        <location filename="../../app/ui/activity_window.py" line="31"/>
        <source>In flight</source>
        <translation>进行中</translation>
    </message>
    <message>
        <location filename="../../app/ui/activity_window.py" line="32"/>
        <source>Errors</source>
        <translation>错误</translation>
    </message>
    <message>
        <location filename="../../app/ui/activity_window.py" line="33"/>
        <source>Blocked</source>
        <translation>已拦截</translation>
    </message>
    <message>
        <location filename="../../app/ui/activity_window.py" line="34"/>
        <source>First byte (p50)</source>
        <translation>首字节（中位数）</translation>
    </message>
    <message>
        <location filename="../../app/ui/activity_window.py" line="35"/>
        <source>Last seen</source>
        <translation>最近一次</translation>
    </message>
    <message>
        <location filename="../../app/ui/activity_window.py" line="42"/>
        <source>just now</source>
        <translation>刚刚</translation>
    </message>
    <message>
        <location filename="../../app/ui/activity_window.py" line="44"/>
        <source>{minutes} min ago</source>
        <translation>{minutes} 分钟前</translation>
    </message>
    <message>
        <location filename="../../app/ui/activity_window.py" line="45"/>
        <source>{hours} h ago</source>
        <translation>{hours} 小时前</translation>
    </message>
    <message>
        <location filename="../../app/ui/activity_window.py" line="51"/>
        <source>1 request in the last hour</source>
        <translation>最近一小时 1 次请求</translation>
    </message>
    <message>
        <location filename="../../app/ui/activity_window.py" line="53"/>
        <source>{n} requests in the last hour</source>
        <translation>最近一小时 {n} 次请求</translation>
    </message>
    <message>
        <location filename="../../app/ui/activity_window.py" line="54"/>
        <source>last {ago}</source>
        <translation>最近 {ago}</translation>
    </message>
    <message>
        <location filename="../../app/ui/activity_window.py" line="63"/>
        <source>No editor requests yet</source>
        <translation>尚无编辑器请求</translation>
    </message>
    <message>
        <location filename="../../app/ui/activity_window.py" line="66"/>
        <source>(+{n} more)</source>
        <translation>（另有 {n} 个）</translation>
    </message>
    <message>
        <location filename="../../app/ui/activity_window.py" line="78"/>
        <source>Requests per minute, last hour</source>
        <translation>最近一小时每分钟的请求数</translation>
    </message>
    <message>
        <location filename="../../app/ui/activity_window.py" line="97"/>
        <source>60 min ago</source>
        <translation>60 分钟前</translation>
    </message>
    <message>
        <location filename="../../app/ui/activity_window.py" line="98"/>
        <source>now</source>
        <translation>现在</translation>
    </message>
    <message>
        <location filename="../../app/ui/activity_window.py" line="119"/>
        <source>llm-link activity</source>
        <translation>llm-link 活动</translation>
    </message>
    <message>
        <location filename="../../app/ui/activity_window.py" line="129"/>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <location filename="../../app/ui/activity_window.py" line="150"/>
        <source>No activity: the gateway is not answering.</source>
        <translation>没有活动数据：网关没有响应。</translation>
    </message>
    <message>
        <location filename="../../app/ui/activity_window.py" line="154"/>
        <source>{n} requests in the last hour, {busy} in flight</source>
        <translation>最近一小时 {n} 次请求，{busy} 个进行中</translation>
    </message>
</context>
<context>
    <name>CLI</name>
    <message>
        <location filename="../../app/i18n.py" line="527"/>
        <source>llm-link-tray is not running</source>
        <translation>llm-link-tray 没有在运行</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="528"/>
        <source>settings opened</source>
        <translation>已打开设置</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="529"/>
        <source>quitting</source>
        <translation>正在退出</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="530"/>
        <location filename="../../app/i18n.py" line="619"/>
        <source>problem: {problem}</source>
        <translation>问题：{problem}</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="531"/>
        <source>usage: llm-link-tray switch PROVIDER [MODEL]</source>
        <translation>用法：llm-link-tray switch 服务商 [模型]</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="532"/>
        <location filename="../../app/i18n.py" line="621"/>
        <source>unknown command {command}</source>
        <translation>未知命令 {command}</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="534"/>
        <source>llm-link-tray needs a desktop session (no $DISPLAY or $WAYLAND_DISPLAY is set); on a headless machine run llm-link as a service instead</source>
        <translation>llm-link-tray 需要桌面会话（未设置 $DISPLAY 或 $WAYLAND_DISPLAY）；在无图形界面的机器上，请把 llm-link 作为系统服务运行</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="540"/>
        <source>Added llm-link-tray to the application menu: {file} and {count} icons. Undo with: {command}</source>
        <translation>已将 llm-link-tray 添加到应用程序菜单：{file} 及 {count} 个图标。撤销命令：{command}</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="543"/>
        <source>Nothing to remove: llm-link-tray&apos;s menu entry was not installed by install-desktop.</source>
        <translation>无需移除：llm-link-tray 的菜单项并非由 install-desktop 安装。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="544"/>
        <source>Removed {count} files from the application menu and icon theme.</source>
        <translation>已从应用程序菜单和图标主题中移除 {count} 个文件。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="545"/>
        <source>Kept {path}: it was changed after install-desktop wrote it.</source>
        <translation>已保留 {path}：它在 install-desktop 写入后被修改过。</translation>
    </message>
</context>
<context>
    <name>ConnectDialog</name>
    <message>
        <location filename="../../app/ui/connect_dialog.py" line="35"/>
        <source>Ollama&apos;s API</source>
        <translation>Ollama API</translation>
    </message>
    <message>
        <location filename="../../app/ui/connect_dialog.py" line="36"/>
        <source>OpenAI&apos;s API</source>
        <translation>OpenAI API</translation>
    </message>
    <message>
        <location filename="../../app/ui/connect_dialog.py" line="37"/>
        <source>Anthropic&apos;s API</source>
        <translation>Anthropic API</translation>
    </message>
    <message>
        <location filename="../../app/ui/connect_dialog.py" line="98"/>
        <source>llm-link-tray — Connect an editor</source>
        <translation>llm-link-tray — 连接编辑器</translation>
    </message>
    <message>
        <location filename="../../app/ui/connect_dialog.py" line="117"/>
        <source>Copy access key</source>
        <translation>复制访问密钥</translation>
    </message>
    <message>
        <location filename="../../app/ui/connect_dialog.py" line="118"/>
        <source>Copies llm-link&apos;s access key to the clipboard without showing it.</source>
        <translation>将 llm-link 的访问密钥复制到剪贴板，不在屏幕上显示。</translation>
    </message>
    <message>
        <location filename="../../app/ui/connect_dialog.py" line="120"/>
        <source>Test (uses a few tokens)</source>
        <translation>测试（消耗少量 token）</translation>
    </message>
    <message>
        <location filename="../../app/ui/connect_dialog.py" line="123"/>
        <source>Sends one short streamed chat through llm-link, as an editor would. It spends a few tokens of your provider&apos;s quota.</source>
        <translation>像编辑器一样，通过 llm-link 发送一次简短的流式对话。这会消耗服务商额度中的少量 token。</translation>
    </message>
    <message>
        <location filename="../../app/ui/connect_dialog.py" line="128"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../app/ui/connect_dialog.py" line="157"/>
        <source>llm-link answers editors at {url} with {protocol} (app mode {mode}), using {provider} / {model}.</source>
        <translation>llm-link 在 {url} 以 {protocol} 为编辑器提供服务（应用模式 {mode}），当前使用 {provider} / {model}。</translation>
    </message>
    <message>
        <location filename="../../app/ui/connect_dialog.py" line="192"/>
        <source>Copied the {editor} snippet.</source>
        <translation>已复制 {editor} 配置片段。</translation>
    </message>
    <message>
        <location filename="../../app/ui/connect_dialog.py" line="208"/>
        <source>This app mode has no access key: editors connect without one.</source>
        <translation>此应用模式没有访问密钥：编辑器无需密钥即可连接。</translation>
    </message>
    <message>
        <location filename="../../app/ui/connect_dialog.py" line="211"/>
        <source>Copied the access key (not shown). Paste it where the notes say.</source>
        <translation>已复制访问密钥（未显示）。请按说明粘贴到相应位置。</translation>
    </message>
    <message>
        <location filename="../../app/ui/connect_dialog.py" line="221"/>
        <source>Zed has no settings.json yet: create {name} in the folder just opened.</source>
        <translation>Zed 还没有 settings.json：请在刚打开的文件夹中新建 {name}。</translation>
    </message>
    <message>
        <location filename="../../app/ui/connect_dialog.py" line="225"/>
        <source>Zed&apos;s settings file does not exist yet ({path}): start Zed once, then retry.</source>
        <translation>Zed 的设置文件尚不存在（{path}）：请先启动一次 Zed，然后重试。</translation>
    </message>
    <message>
        <location filename="../../app/ui/connect_dialog.py" line="233"/>
        <source>Testing: one short streamed chat…</source>
        <translation>正在测试：发送一次简短的流式对话…</translation>
    </message>
</context>
<context>
    <name>Editors</name>
    <message>
        <location filename="../../app/i18n.py" line="395"/>
        <source>llm-link&apos;s Ollama provider cannot serve Zed: it answers /api/tags with an empty model list and a streamed chat with one empty final chunk (measured on llm-link 0.7.0 and 0.3.6). Point Zed at Ollama directly (its default, &quot;api_url&quot;: &quot;http://localhost:11434&quot;), or pick a cloud provider here.</source>
        <translation>llm-link 的 Ollama 服务商无法为 Zed 提供服务：它对 /api/tags 返回空的模型列表，对流式对话只返回一个空的结束块（在 llm-link 0.7.0 和 0.3.6 上实测）。请让 Zed 直接连接 Ollama（其默认值 &quot;api_url&quot;: &quot;http://localhost:11434&quot;），或在此选择一个云端服务商。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="401"/>
        <source>Set {var} to llm-link&apos;s access key (the Copy access key button), e.g. in your shell profile: export {same_var}=&apos;&lt;paste&gt;&apos;. Every request without it is refused (HTTP 401).</source>
        <translation>将 {var} 设为 llm-link 的访问密钥（使用“复制访问密钥”按钮），例如在 shell 配置文件中写入：export {same_var}=&apos;&lt;粘贴&gt;&apos;。不带该密钥的请求都会被拒绝（HTTP 401）。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="406"/>
        <source>This needs llm-link&apos;s {wanted} protocol; the current app mode ({mode}) serves {protocol}. Set App mode to {modes} in Settings.</source>
        <translation>这需要 llm-link 的 {wanted} 协议；当前应用模式（{mode}）提供的是 {protocol}。请在设置中把应用模式改为 {modes}。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="411"/>
        <source>codex-cli or aider</source>
        <translation>codex-cli 或 aider</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="412"/>
        <source>Zed&apos;s settings file, {path}: merge into the top-level object</source>
        <translation>Zed 的设置文件 {path}：合并到顶层对象中</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="413"/>
        <source>Zed&apos;s Ollama default is port 11434; llm-link listens on {port}. Then pick {model} in Zed&apos;s Agent Panel.</source>
        <translation>Zed 的 Ollama 默认端口是 11434，而 llm-link 监听的是 {port}。然后在 Zed 的 Agent 面板中选择 {model}。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="417"/>
        <source>Zed asks for the provider&apos;s API key in its Agent Panel settings (llm-link): paste llm-link&apos;s access key there (Copy access key). Or set App mode to zed in Settings: Zed&apos;s Ollama provider needs no key.</source>
        <translation>Zed 会在 Agent 面板的设置（llm-link）中要求填写服务商的 API 密钥：请在那里粘贴 llm-link 的访问密钥（“复制访问密钥”）。也可以在设置中把应用模式改为 zed：Zed 的 Ollama 服务商不需要密钥。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="422"/>
        <source>Works only with Codex CLI {version} or older (npm install -g @openai/codex@{same_version}): those accept wire_api = &quot;chat&quot;, with a deprecation warning.</source>
        <translation>仅适用于 Codex CLI {version} 及更早版本（npm install -g @openai/codex@{same_version}）：这些版本接受 wire_api = &quot;chat&quot;，但会给出弃用警告。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="427"/>
        <source>Codex CLI {first} and every later version (including the current ones; {measured} was tested) does not work with llm-link: it speaks only OpenAI&apos;s Responses API, which llm-link does not serve, and refuses to start with wire_api = &quot;chat&quot;.</source>
        <translation>Codex CLI {first} 及之后的所有版本（包括当前版本，已实测 {measured}）都无法与 llm-link 配合使用：它们只支持 OpenAI 的 Responses API，而 llm-link 不提供该接口；并且在 wire_api = &quot;chat&quot; 时拒绝启动。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="433"/>
        <source>~/.codex/config.toml (Codex&apos;s user config)</source>
        <translation>~/.codex/config.toml（Codex 的用户配置）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="434"/>
        <source>Aider streams its replies, and llm-link&apos;s Ollama provider streams nothing: point Aider at Ollama directly (OLLAMA_API_BASE=http://localhost:11434), or pick a cloud provider here.</source>
        <translation>Aider 以流式方式接收回复，而 llm-link 的 Ollama 服务商不返回任何流式内容：请让 Aider 直接连接 Ollama（OLLAMA_API_BASE=http://localhost:11434），或在此选择一个云端服务商。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="439"/>
        <source>a terminal, in your project&apos;s folder</source>
        <translation>终端，在你的项目文件夹中</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="440"/>
        <source>a terminal</source>
        <translation>终端</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="441"/>
        <source>Without &quot;stream&quot;: false llm-link&apos;s Ollama provider answers with one empty chunk.</source>
        <translation>如果不加 &quot;stream&quot;: false，llm-link 的 Ollama 服务商只会返回一个空块。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="442"/>
        <source>This spends a few tokens of your provider&apos;s quota.</source>
        <translation>这会消耗服务商额度中的少量 token。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="443"/>
        <source>First token after {ms} ms; {pieces} pieces in {seconds} s: “{reply}”</source>
        <translation>首个 token 用时 {ms} 毫秒；{seconds} 秒内收到 {pieces} 段：“{reply}”</translation>
    </message>
</context>
<context>
    <name>Errors</name>
    <message>
        <location filename="../../app/i18n.py" line="150"/>
        <source>llm-link was not found ({detail})</source>
        <translation>找不到 llm-link（{detail}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="151"/>
        <source>Install llm-link, or set its path in Settings.</source>
        <translation>请安装 llm-link，或在设置中指定其路径。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="154"/>
        <source>the llm-link binary cannot be run ({detail})</source>
        <translation>无法运行 llm-link 程序（{detail}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="155"/>
        <source>Make it executable, or pick another binary in Settings.</source>
        <translation>请为其添加可执行权限，或在设置中选择其他程序。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="158"/>
        <source>the chosen binary is not an llm-link we can drive ({detail})</source>
        <translation>所选程序不是可由本应用管理的 llm-link（{detail}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="159"/>
        <source>Point Settings at an llm-link binary.</source>
        <translation>请在设置中指定 llm-link 程序。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="162"/>
        <source>the port is already in use ({detail})</source>
        <translation>端口已被占用（{detail}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="163"/>
        <location filename="../../app/i18n.py" line="265"/>
        <source>Quit that program, or pick another port for llm-link in Settings.</source>
        <translation>请退出该程序，或在设置中为 llm-link 选择其他端口。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="166"/>
        <location filename="../../app/i18n.py" line="210"/>
        <source>llm-link did not answer in time ({detail})</source>
        <translation>llm-link 未能及时响应（{detail}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="167"/>
        <location filename="../../app/i18n.py" line="267"/>
        <source>View the log; if the machine is busy, try Start again.</source>
        <translation>请查看日志；如果机器负载较高，请再次点击“启动”。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="170"/>
        <source>llm-link stopped unexpectedly ({detail})</source>
        <translation>llm-link 意外停止（{detail}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="171"/>
        <source>View logs for llm-link&apos;s last words.</source>
        <translation>请查看日志中 llm-link 最后输出的内容。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="174"/>
        <source>llm-link keeps crashing and is not restarted any more ({detail})</source>
        <translation>llm-link 反复崩溃，已不再自动重启（{detail}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="175"/>
        <location filename="../../app/i18n.py" line="281"/>
        <source>View logs for the cause, fix it in Settings, then Start.</source>
        <translation>请在日志中查找原因，在设置中修正后再点击“启动”。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="178"/>
        <source>the API key was rejected ({detail})</source>
        <translation>API 密钥被拒绝（{detail}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="179"/>
        <location filename="../../app/i18n.py" line="311"/>
        <source>Check the key in Settings (copy it again from the provider&apos;s console).</source>
        <translation>请在设置中检查密钥（从服务商控制台重新复制一次）。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="182"/>
        <source>no API key is stored ({detail})</source>
        <translation>尚未保存 API 密钥（{detail}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="183"/>
        <source>Enter the key in Settings.</source>
        <translation>请在设置中输入密钥。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="186"/>
        <source>the system keyring cannot be used ({detail})</source>
        <translation>无法使用系统密钥环（{detail}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="187"/>
        <location filename="../../app/i18n.py" line="331"/>
        <source>Check that your keyring service runs, then try again.</source>
        <translation>请确认密钥环服务正在运行，然后重试。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="190"/>
        <location filename="../../app/i18n.py" line="324"/>
        <source>the system keyring is locked ({detail})</source>
        <translation>系统密钥环已锁定（{detail}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="191"/>
        <location filename="../../app/i18n.py" line="325"/>
        <source>Unlock your keyring (log in again or open your keyring manager), then try again.</source>
        <translation>请解锁密钥环（重新登录或打开密钥环管理器），然后重试。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="194"/>
        <source>the provider cannot be reached ({detail})</source>
        <translation>无法连接服务商（{detail}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="195"/>
        <source>Check the network and the base URL in Settings.</source>
        <translation>请检查网络以及设置中的 Base URL。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="198"/>
        <source>the change was not made ({detail})</source>
        <translation>更改未生效（{detail}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="199"/>
        <location filename="../../app/i18n.py" line="283"/>
        <source>Try again; if it persists, check the binary version in Settings.</source>
        <translation>请重试；如果问题持续，请在设置中检查程序版本。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="202"/>
        <source>the settings cannot be used ({detail})</source>
        <translation>设置无法使用（{detail}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="203"/>
        <location filename="../../app/i18n.py" line="343"/>
        <source>Check Settings.</source>
        <translation>请检查设置。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="206"/>
        <source>llm-link does not answer ({detail})</source>
        <translation>llm-link 没有响应（{detail}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="207"/>
        <location filename="../../app/i18n.py" line="349"/>
        <source>Start llm-link from the tray menu, or check the port in Settings.</source>
        <translation>请从托盘菜单启动 llm-link，或在设置中检查端口。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="211"/>
        <location filename="../../app/i18n.py" line="350"/>
        <source>llm-link is not answering; restart it from the tray menu.</source>
        <translation>llm-link 没有响应；请从托盘菜单重启它。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="214"/>
        <source>llm-link gave an answer that cannot be used ({detail})</source>
        <translation>llm-link 返回了无法使用的响应（{detail}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="215"/>
        <location filename="../../app/i18n.py" line="348"/>
        <source>Restart llm-link from the tray menu; if it keeps happening, view its log.</source>
        <translation>请从托盘菜单重启 llm-link；如果反复出现，请查看其日志。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="218"/>
        <source>a folder of llm-link-tray cannot take files ({detail})</source>
        <translation>llm-link-tray 的文件夹无法写入文件（{detail}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="219"/>
        <location filename="../../app/i18n.py" line="289"/>
        <source>Free some disk space or make the folder writable, then start again.</source>
        <translation>请释放一些磁盘空间或使该文件夹可写，然后重新启动。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="222"/>
        <source>the gateway failed ({detail})</source>
        <translation>网关出错（{detail}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="223"/>
        <location filename="../../app/i18n.py" line="341"/>
        <source>View the gateway&apos;s log, then use Restart in the tray menu.</source>
        <translation>请查看网关日志，然后使用托盘菜单中的“重启”。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="226"/>
        <source>another program changed llm-link&apos;s settings; they were restored ({detail})</source>
        <translation>另一个程序修改了 llm-link 的设置，已恢复原设置（{detail}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="227"/>
        <source>Find the program that talks to llm-link&apos;s private port and stop it.</source>
        <translation>请找出访问 llm-link 私有端口的程序并停止它。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="230"/>
        <source>editor requests fail at the provider ({detail})</source>
        <translation>编辑器的请求在服务商处失败（{detail}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="231"/>
        <location filename="../../app/i18n.py" line="344"/>
        <source>Check the provider&apos;s status page and your key in Settings; this clears on the next success.</source>
        <translation>请查看服务商的状态页面，并在设置中检查密钥；下一次请求成功后此提示会消失。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="240"/>
        <source>File does not exist: {path}</source>
        <translation>文件不存在：{path}</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="241"/>
        <source>{path} is not executable</source>
        <translation>{path} 没有可执行权限</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="242"/>
        <source>Make it executable (&apos;chmod +x {path}&apos;) or pick another binary in Settings.</source>
        <translation>请为其添加可执行权限（&apos;chmod +x {path}&apos;），或在设置中选择其他程序。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="243"/>
        <source>llm-link was not found in Settings, $LLM_LINK_BINARY_PATH, $PATH, ~/.cargo/bin, scripts/run-tray&apos;s builds or pyllmlink&apos;s cache</source>
        <translation>在设置、$LLM_LINK_BINARY_PATH、$PATH、~/.cargo/bin、scripts/run-tray 的构建目录和 pyllmlink 的缓存中都找不到 llm-link</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="248"/>
        <source>Install llm-link with &apos;cargo install llm-link&apos;, &apos;pip install pyllmlink&apos; or Homebrew (&apos;brew install llm-link&apos;), or set its path in Settings.</source>
        <translation>请用 &apos;cargo install llm-link&apos;、&apos;pip install pyllmlink&apos; 或 Homebrew（&apos;brew install llm-link&apos;）安装 llm-link，或在设置中指定其路径。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="253"/>
        <source>llm-link is not installed and cargo is not available to build it</source>
        <translation>未安装 llm-link，也没有可用于构建它的 cargo</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="254"/>
        <source>cargo install llm-link failed (exit code {code})</source>
        <translation>cargo install llm-link 失败（退出码 {code}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="255"/>
        <source>Read the output above; on Debian the build needs &apos;apt install pkg-config libssl-dev&apos;.</source>
        <translation>请阅读上方的输出；在 Debian 上构建需要先执行 &apos;apt install pkg-config libssl-dev&apos;。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="258"/>
        <source>{path} does not describe itself as llm-link (its --help lacks --provider/--auth-key)</source>
        <translation>{path} 看起来不是 llm-link（其 --help 中没有 --provider/--auth-key）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="259"/>
        <source>Point Settings → Binary at llm-link (install it with &apos;cargo install llm-link&apos;).</source>
        <translation>请在“设置 → 程序”中指定 llm-link（可用 &apos;cargo install llm-link&apos; 安装）。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="260"/>
        <source>{path} did not answer &apos;--help&apos; like llm-link</source>
        <translation>{path} 对 &apos;--help&apos; 的输出与 llm-link 不符</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="261"/>
        <source>{path} did not finish &apos;--help&apos; within {seconds}s: it is not a llm-link we know</source>
        <translation>{path} 未在 {seconds} 秒内完成 &apos;--help&apos;：它不是已知的 llm-link</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="263"/>
        <source>port {port} is already used by {who}</source>
        <translation>端口 {port} 已被 {who} 占用</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="264"/>
        <source>another program</source>
        <translation>另一个程序</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="266"/>
        <source>llm-link (pid {pid}) did not answer within {seconds}s</source>
        <translation>llm-link（PID {pid}）在 {seconds} 秒内没有响应</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="268"/>
        <source>llm-link {how} while starting</source>
        <translation>llm-link 在启动时{how}</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="269"/>
        <source>llm-link (pid {pid}) {how}</source>
        <translation>llm-link（PID {pid}）{how}</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="270"/>
        <source>exited with code {code}</source>
        <translation>已退出，退出码 {code}</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="271"/>
        <source>killed by {signal}</source>
        <translation>被 {signal} 信号终止</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="272"/>
        <source>exited (exit status unknown: not our child)</source>
        <translation>已退出（退出状态未知：不是本应用启动的子进程）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="273"/>
        <source>View the log for llm-link&apos;s own message; check the binary and settings.</source>
        <translation>请在日志中查看 llm-link 自身的报错；并检查程序和设置。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="274"/>
        <source>It will be restarted automatically; View logs shows its last words.</source>
        <translation>它会被自动重启；“查看日志”中可以看到它最后的输出。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="275"/>
        <source>Start it again from the tray menu.</source>
        <translation>请从托盘菜单再次启动它。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="276"/>
        <source>llm-link failed {count} times within {duration}; not restarting it any more</source>
        <translation>llm-link 在 {duration}内失败了 {count} 次，不再自动重启</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="277"/>
        <source>{n} seconds</source>
        <translation>{n} 秒</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="278"/>
        <source>1 second</source>
        <translation>1 秒</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="279"/>
        <source>{n} minutes</source>
        <translation>{n} 分钟</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="280"/>
        <source>1 minute</source>
        <translation>1 分钟</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="282"/>
        <source>llm-link (pid {pid}) runs {running}, not {wanted}</source>
        <translation>llm-link（PID {pid}）运行的是 {running}，而不是 {wanted}</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="284"/>
        <source>the change was not made: {cause}</source>
        <translation>更改未生效：{cause}</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="286"/>
        <source>cannot write to the {what} folder {folder}: {reason}</source>
        <translation>无法写入 {what} 文件夹 {folder}：{reason}</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="287"/>
        <source>Free some disk space in {folder} or make it writable, then Start.</source>
        <translation>请在 {folder} 所在磁盘释放一些空间或使其可写，然后点击“启动”。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="288"/>
        <source>cannot record the gateway in {folder} ({reason})</source>
        <translation>无法在 {folder} 中记录网关（{reason}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="290"/>
        <source>cannot save settings: {path} {reason}</source>
        <translation>无法保存设置：{path} {reason}</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="291"/>
        <source>Move {path} out of the way (or fix its permissions); until then changes last only until quit.</source>
        <translation>请移走 {path}（或修正其权限）；在此之前，更改只在退出前有效。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="294"/>
        <source>is a directory</source>
        <translation>是一个目录</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="295"/>
        <source>is not a regular file</source>
        <translation>不是普通文件</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="296"/>
        <source>{path} already exists and was not installed by llm-link-tray</source>
        <translation>{path} 已存在，且不是由 llm-link-tray 安装的</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="297"/>
        <source>Move it away (or delete it) and install again.</source>
        <translation>请将其移走（或删除）后重新安装。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="298"/>
        <source>the application menu entry cannot be read from {path}</source>
        <translation>无法从 {path} 读取应用程序菜单项</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="299"/>
        <source>Reinstall llm-link-tray; this copy is missing its packaging files.</source>
        <translation>请重新安装 llm-link-tray；当前副本缺少打包文件。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="300"/>
        <source>no icons were found in {path}</source>
        <translation>在 {path} 中找不到图标</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="301"/>
        <source>Reinstall llm-link-tray; this copy is missing its icons.</source>
        <translation>请重新安装 llm-link-tray；当前副本缺少图标。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="302"/>
        <source>Check that your ~/.local/share folder (or $XDG_DATA_HOME) is writable.</source>
        <translation>请确认 ~/.local/share 文件夹（或 $XDG_DATA_HOME）可写。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="303"/>
        <source>Delete that file and remove the menu entry and icons by hand.</source>
        <translation>请删除该文件，并手动移除菜单项和图标。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="304"/>
        <source>cannot change start-at-login: {reason}</source>
        <translation>无法更改登录时启动：{reason}</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="305"/>
        <source>Check the permissions of your autostart folder.</source>
        <translation>请检查自动启动文件夹的权限。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="307"/>
        <source>no API key is stored for {provider}</source>
        <translation>尚未保存 {provider} 的 API 密钥</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="308"/>
        <source>Enter your {provider} key in Settings.</source>
        <translation>请在设置中输入你的 {provider} 密钥。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="309"/>
        <source>{provider} needs an API key</source>
        <translation>{provider} 需要 API 密钥</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="310"/>
        <source>Paste your {provider} key above.</source>
        <translation>请在上方粘贴你的 {provider} 密钥。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="312"/>
        <source>{provider} rejected the key (HTTP {status})</source>
        <translation>{provider} 拒绝了该密钥（HTTP {status}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="313"/>
        <source>{provider} rejected the key: {reason}</source>
        <translation>{provider} 拒绝了该密钥：{reason}</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="314"/>
        <source>{provider} key rejected: {reason}</source>
        <translation>{provider} 密钥被拒绝：{reason}</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="315"/>
        <source>llm-link refused the {provider} key: {reason}</source>
        <translation>llm-link 拒绝了 {provider} 密钥：{reason}</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="316"/>
        <source>{provider} does not answer at {url}</source>
        <translation>{provider} 在 {url} 没有响应</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="317"/>
        <source>Pick one of the ten providers in Settings.</source>
        <translation>请在设置中从十个服务商里选择一个。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="318"/>
        <source>unknown provider {provider}</source>
        <translation>未知的服务商 {provider}</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="319"/>
        <source>no usable system keyring was found, so API keys cannot be stored</source>
        <translation>找不到可用的系统密钥环，因此无法保存 API 密钥</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="320"/>
        <source>Install and start a Secret Service (e.g. gnome-keyring or KWallet); Ollama works without a key.</source>
        <translation>请安装并启动 Secret Service（例如 gnome-keyring 或 KWallet）；Ollama 无需密钥即可使用。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="323"/>
        <source>the system keyring is locked</source>
        <translation>系统密钥环已锁定</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="326"/>
        <source>Unlock it (answer its unlock prompt, or open your keyring manager), then try again.</source>
        <translation>请解锁密钥环（响应解锁提示，或打开密钥环管理器），然后重试。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="330"/>
        <source>the keyring failed: {reason}</source>
        <translation>密钥环出错：{reason}</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="333"/>
        <source>the gateway on port {port} does not answer; it is being restarted</source>
        <translation>端口 {port} 上的网关没有响应，正在重启</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="334"/>
        <source>If this stays, use Restart in the tray menu, or View logs.</source>
        <translation>如果问题持续，请使用托盘菜单中的“重启”，或查看日志。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="335"/>
        <source>the gateway exited while starting on port {port}</source>
        <translation>网关在端口 {port} 上启动时退出</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="336"/>
        <source>the gateway did not answer within {seconds} seconds</source>
        <translation>网关在 {seconds} 秒内没有响应</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="337"/>
        <source>the gateway keeps crashing; it was not started again</source>
        <translation>网关反复崩溃，已不再启动</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="338"/>
        <source>View the gateway&apos;s log; if another program holds the port, choose another port in Settings.</source>
        <translation>请查看网关日志；如果端口被其他程序占用，请在设置中选择其他端口。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="342"/>
        <source>the gateway refused the settings: {reason}</source>
        <translation>网关拒绝了这些设置：{reason}</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="351"/>
        <source>the Test covers the Ollama and OpenAI protocols, not app mode {mode}</source>
        <translation>测试只支持 Ollama 和 OpenAI 协议，不支持应用模式 {mode}</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="352"/>
        <source>Try it from your editor instead, or set App mode to zed or codex-cli in Settings.</source>
        <translation>请改为在编辑器中试用，或在设置中把应用模式改为 zed 或 codex-cli。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="353"/>
        <source>no reply within {seconds} seconds</source>
        <translation>{seconds} 秒内没有回复</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="354"/>
        <source>The provider may be slow or overloaded: try again, or view the logs.</source>
        <translation>服务商可能响应缓慢或负载过高：请重试，或查看日志。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="355"/>
        <source>nothing answers on port {port}</source>
        <translation>端口 {port} 上没有任何服务响应</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="356"/>
        <source>Start llm-link from the tray menu, then try again.</source>
        <translation>请从托盘菜单启动 llm-link，然后重试。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="357"/>
        <source>the reply broke off ({reason})</source>
        <translation>回复中断（{reason}）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="358"/>
        <source>View the logs to see what llm-link said.</source>
        <translation>请查看日志了解 llm-link 的输出。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="359"/>
        <source>A known gap of llm-link (0.7.0 and 0.3.6): point your editor at Ollama directly.</source>
        <translation>这是 llm-link（0.7.0 和 0.3.6）的已知缺陷：请让编辑器直接连接 Ollama。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="360"/>
        <source>llm-link returned an empty stream</source>
        <translation>llm-link 返回了空的流</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="361"/>
        <source>Check the model name, then view the logs to see what the provider said.</source>
        <translation>请检查模型名称，然后查看日志了解服务商的返回内容。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="362"/>
        <source>llm-link refused the access key</source>
        <translation>llm-link 拒绝了访问密钥</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="363"/>
        <source>Restart llm-link from the tray menu so that it uses the stored access key.</source>
        <translation>请从托盘菜单重启 llm-link，使其使用已保存的访问密钥。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="364"/>
        <source>llm-link refused the chat (HTTP 400); it accepts only models it lists, and {model} may not be one</source>
        <translation>llm-link 拒绝了此次对话（HTTP 400）；它只接受其列出的模型，而 {model} 可能不在其中</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="367"/>
        <source>Pick a model from the tray&apos;s Models menu.</source>
        <translation>请从托盘的“模型”菜单中选择一个模型。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="368"/>
        <source>port {port} does not serve the {protocol} protocol (HTTP 404)</source>
        <translation>端口 {port} 不提供 {protocol} 协议（HTTP 404）</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="369"/>
        <source>Check the app mode in Settings, and that llm-link runs.</source>
        <translation>请检查设置中的应用模式，并确认 llm-link 正在运行。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="370"/>
        <source>the chat failed with HTTP {status}{detail}</source>
        <translation>对话失败，HTTP {status}{detail}</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="371"/>
        <source>Check the provider&apos;s key and model in Settings, then view the logs.</source>
        <translation>请在设置中检查服务商的密钥和模型，然后查看日志。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="372"/>
        <source>the reply is not a chat stream</source>
        <translation>回复不是对话流</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="373"/>
        <source>Another program may be using llm-link&apos;s port: check the port in Settings.</source>
        <translation>可能有其他程序占用了 llm-link 的端口：请检查设置中的端口。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="374"/>
        <source>the provider answered with an error: {reason}</source>
        <translation>服务商返回了错误：{reason}</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="375"/>
        <source>Check the provider&apos;s key and model in Settings.</source>
        <translation>请在设置中检查服务商的密钥和模型。</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="377"/>
        <source>nothing listens on {address}</source>
        <translation>{address} 上没有服务在监听</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="378"/>
        <source>the editor route {route} does not answer</source>
        <translation>编辑器接口 {route} 没有响应</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="379"/>
        <source>waiting for the keyring to be unlocked</source>
        <translation>正在等待密钥环解锁</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="381"/>
        <source>this provider cannot be asked from here</source>
        <translation>无法从本机向该服务商验证</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="382"/>
        <source>{url} answered HTTP {status} instead of a model list</source>
        <translation>{url} 返回了 HTTP {status}，而不是模型列表</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="383"/>
        <source>{url} did not answer with a model list</source>
        <translation>{url} 没有返回模型列表</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="384"/>
        <source>llm-link&apos;s Ollama provider returned an empty stream</source>
        <translation>llm-link 的 Ollama 服务商返回了空的流</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="385"/>
        <source>No system tray was found, so llm-link-tray runs without an icon (supervising continues, and &apos;llm-link-tray status&apos; works). On GNOME, install the &apos;AppIndicator and KStatusNotifierItem Support&apos; extension to get the icon.</source>
        <translation>未找到系统托盘，因此 llm-link-tray 将在没有图标的情况下运行（监控照常进行，&apos;llm-link-tray status&apos; 也可使用）。在 GNOME 上，请安装 &apos;AppIndicator and KStatusNotifierItem Support&apos; 扩展以显示图标。</translation>
    </message>
</context>
<context>
    <name>FirstRunDialog</name>
    <message>
        <location filename="../../app/ui/first_run.py" line="30"/>
        <source>llm-link-tray — llm-link is missing</source>
        <translation>llm-link-tray — 缺少 llm-link</translation>
    </message>
    <message>
        <location filename="../../app/ui/first_run.py" line="34"/>
        <source>&lt;b&gt;llm-link was not found.&lt;/b&gt; llm-link-tray supervises llm-link but does not include it.</source>
        <translation>&lt;b&gt;找不到 llm-link。&lt;/b&gt;llm-link-tray 负责管理 llm-link，但并不包含它。</translation>
    </message>
    <message>
        <location filename="../../app/ui/first_run.py" line="38"/>
        <source>Cargo is installed: llm-link-tray can build it for you now (a few minutes).</source>
        <translation>已安装 Cargo：llm-link-tray 现在就可以为你构建它（需要几分钟）。</translation>
    </message>
    <message>
        <location filename="../../app/ui/first_run.py" line="50"/>
        <source>Install with cargo</source>
        <translation>使用 cargo 安装</translation>
    </message>
    <message>
        <location filename="../../app/ui/first_run.py" line="53"/>
        <source>Add to application menu</source>
        <translation>添加到应用程序菜单</translation>
    </message>
    <message>
        <location filename="../../app/ui/first_run.py" line="75"/>
        <source>llm-link-tray is in the application menu (undo: llm-link-tray uninstall-desktop).</source>
        <translation>llm-link-tray 已加入应用程序菜单（撤销：llm-link-tray uninstall-desktop）。</translation>
    </message>
    <message>
        <location filename="../../app/ui/first_run.py" line="81"/>
        <source>In the application menu ✓</source>
        <translation>已在应用程序菜单中 ✓</translation>
    </message>
    <message>
        <location filename="../../app/ui/first_run.py" line="90"/>
        <source>Building llm-link…</source>
        <translation>正在构建 llm-link…</translation>
    </message>
    <message>
        <location filename="../../app/ui/first_run.py" line="101"/>
        <source>Installed at {path}. llm-link is {state}.</source>
        <translation>已安装到 {path}。llm-link 状态：{state}。</translation>
    </message>
</context>
<context>
    <name>LogView</name>
    <message>
        <location filename="../../app/ui/log_window.py" line="55"/>
        <source>{path} is empty or does not exist yet.</source>
        <translation>{path} 为空或尚不存在。</translation>
    </message>
    <message>
        <location filename="../../app/ui/log_window.py" line="106"/>
        <source>[… {size} not shown here; the whole log is {path} …]</source>
        <translation>[… 此处未显示 {size}；完整日志见 {path} …]</translation>
    </message>
</context>
<context>
    <name>LogWindow</name>
    <message>
        <location filename="../../app/ui/log_window.py" line="131"/>
        <source>llm-link-tray logs</source>
        <translation>llm-link-tray 日志</translation>
    </message>
    <message>
        <location filename="../../app/ui/log_window.py" line="140"/>
        <source>Find (not case-sensitive)</source>
        <translation>查找（不区分大小写）</translation>
    </message>
    <message>
        <location filename="../../app/ui/log_window.py" line="142"/>
        <source>Previous</source>
        <translation>上一个</translation>
    </message>
    <message>
        <location filename="../../app/ui/log_window.py" line="143"/>
        <source>Next</source>
        <translation>下一个</translation>
    </message>
    <message>
        <location filename="../../app/ui/log_window.py" line="249"/>
        <source>not found</source>
        <translation>未找到</translation>
    </message>
    <message>
        <location filename="../../app/ui/log_window.py" line="252"/>
        <source>{count} found</source>
        <translation>找到 {count} 处</translation>
    </message>
</context>
<context>
    <name>Notices</name>
    <message>
        <location filename="../../app/ui/i18n.py" line="137"/>
        <source>llm-link is running again</source>
        <translation>llm-link 已恢复运行</translation>
    </message>
    <message>
        <location filename="../../app/ui/i18n.py" line="138"/>
        <source>llm-link is not answering properly</source>
        <translation>llm-link 响应异常</translation>
    </message>
    <message>
        <location filename="../../app/ui/i18n.py" line="139"/>
        <source>llm-link has a problem</source>
        <translation>llm-link 出现问题</translation>
    </message>
    <message>
        <location filename="../../app/ui/i18n.py" line="140"/>
        <source>llm-link-tray runs without a tray icon</source>
        <translation>llm-link-tray 正在无托盘图标模式下运行</translation>
    </message>
    <message>
        <location filename="../../app/ui/i18n.py" line="148"/>
        <source>default model</source>
        <translation>默认模型</translation>
    </message>
    <message>
        <location filename="../../app/ui/i18n.py" line="149"/>
        <source>{provider} / {model} on port {port}</source>
        <translation>{provider} / {model}，端口 {port}</translation>
    </message>
</context>
<context>
    <name>Notifier</name>
    <message>
        <location filename="../../app/ui/notifications.py" line="144"/>
        <source>Restart</source>
        <translation>重启</translation>
    </message>
    <message>
        <location filename="../../app/ui/notifications.py" line="145"/>
        <source>View logs</source>
        <translation>查看日志</translation>
    </message>
    <message>
        <location filename="../../app/ui/notifications.py" line="147"/>
        <source>Open settings</source>
        <translation>打开设置</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="53"/>
        <source>Validating the key…</source>
        <translation>正在验证密钥…</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="54"/>
        <source>Updating llm-link&apos;s config…</source>
        <translation>正在更新 llm-link 的配置…</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="55"/>
        <source>Restarting llm-link…</source>
        <translation>正在重启 llm-link…</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="56"/>
        <source>Verifying the new instance…</source>
        <translation>正在验证新实例…</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="57"/>
        <source>Rolling back to the previous config…</source>
        <translation>正在回滚到之前的配置…</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="80"/>
        <source>llm-link-tray — Settings</source>
        <translation>llm-link-tray — 设置</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="109"/>
        <location filename="../../app/ui/settings_dialog.py" line="495"/>
        <source>stored in the system keyring</source>
        <translation>保存在系统密钥环中</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="110"/>
        <location filename="../../app/ui/settings_dialog.py" line="555"/>
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="121"/>
        <source>default endpoint; or e.g. https://host (llm-link adds /v1)</source>
        <translation>默认端点；或例如 https://host（llm-link 会自动加上 /v1）</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="122"/>
        <source>Validate</source>
        <translation>验证</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="132"/>
        <source>found automatically</source>
        <translation>自动查找</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="134"/>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="141"/>
        <source>Restart llm-link automatically when it fails</source>
        <translation>llm-link 出错时自动重启</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="142"/>
        <source>Show desktop notifications</source>
        <translation>显示桌面通知</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="143"/>
        <source>Keep llm-link running after quitting the tray</source>
        <translation>退出托盘后保持 llm-link 运行</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="144"/>
        <source>Start llm-link-tray when I log in</source>
        <translation>登录时启动 llm-link-tray</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="146"/>
        <source>Colour</source>
        <translation>彩色</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="147"/>
        <source>Monochrome (for panels of symbolic icons)</source>
        <translation>单色（适合使用符号图标的面板）</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="151"/>
        <source>System default</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="154"/>
        <source>Takes effect the next time llm-link-tray starts.</source>
        <translation>下次启动 llm-link-tray 时生效。</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="158"/>
        <source>Defaults: pages on localhost, app://, file://, editor webviews</source>
        <translation>默认：localhost 上的页面、app://、file://、编辑器内嵌网页</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="162"/>
        <source>Web pages from other origins cannot use llm-link. One per line, like http://localhost:3000</source>
        <translation>来自其他来源的网页无法使用 llm-link。每行一个，例如 http://localhost:3000</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="166"/>
        <source>Provider</source>
        <translation>服务商</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="167"/>
        <source>API key</source>
        <translation>API 密钥</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="169"/>
        <source>Base URL</source>
        <translation>基础 URL</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="173"/>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="174"/>
        <source>Port</source>
        <translation>端口</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="175"/>
        <source>App mode</source>
        <translation>应用模式</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="179"/>
        <source>llm-link binary</source>
        <translation>llm-link 程序</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="181"/>
        <source>In use</source>
        <translation>正在使用</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="186"/>
        <source>Tray icon</source>
        <translation>托盘图标</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="187"/>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="188"/>
        <source>Allowed browser origins</source>
        <translation>允许的浏览器来源</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="273"/>
        <source>Validating…</source>
        <translation>正在验证…</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="304"/>
        <source>Write one origin per line, like http://localhost:3000, or none for the defaults.</source>
        <translation>每行写一个来源，例如 http://localhost:3000；留空则使用默认值。</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="367"/>
        <source>no llm-link found</source>
        <translation>找不到 llm-link</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="371"/>
        <source> (exact version not recorded)</source>
        <translation>（未记录确切版本）</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="373"/>
        <source>running, PID {pid}</source>
        <translation>运行中，PID {pid}</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="375"/>
        <source>used at the next start</source>
        <translation>将在下次启动时使用</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="377"/>
        <source>{path} — {version}, {where}</source>
        <translation>{path} — {version}，{where}</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="402"/>
        <source>llm-link was switched to {what} meanwhile (from the menu or the command line). Apply would change it to what is shown here; Close keeps it.</source>
        <translation>在此期间，llm-link 已被切换到 {what}（通过菜单或命令行）。点击“应用”会改回此处显示的配置；点击“关闭”则保持不变。</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="409"/>
        <source>Now showing what runs: llm-link was switched to {what}.</source>
        <translation>现在显示的是正在运行的配置：llm-link 已切换到 {what}。</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="428"/>
        <source>Discard the key?</source>
        <translation>放弃这个密钥？</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="429"/>
        <source>The API key you typed was not applied, so it is not stored. Discard it?</source>
        <translation>你输入的 API 密钥尚未应用，因此没有保存。要放弃它吗？</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="467"/>
        <source>llm-link adds /v1 itself, so the base URL is now {url}.</source>
        <translation>llm-link 会自动加上 /v1，因此 Base URL 已改为 {url}。</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="471"/>
        <source>Saved. llm-link was not restarted: nothing it runs with changed.</source>
        <translation>已保存。llm-link 未重启：其运行配置没有变化。</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="473"/>
        <source>Done: {provider} / {model} runs on port {port} (PID {pid}).</source>
        <translation>完成：{provider} / {model} 正在端口 {port} 上运行（PID {pid}）。</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="481"/>
        <source>Not verified yet: {reason}. The first request through llm-link that works verifies it.</source>
        <translation>尚未验证：{reason}。第一次通过 llm-link 成功的请求会完成验证。</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="495"/>
        <source>Ollama needs no key</source>
        <translation>Ollama 不需要密钥</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="555"/>
        <source>Hide</source>
        <translation>隐藏</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="558"/>
        <source>Choose the llm-link binary</source>
        <translation>选择 llm-link 程序</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="581"/>
        <source>{count} models</source>
        <translation>{count} 个模型</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="588"/>
        <source>llm-link offers {models}.</source>
        <translation>llm-link 提供 {models}。</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="592"/>
        <source>llm-link is not running, so it listed no models.</source>
        <translation>llm-link 没有在运行，因此没有列出模型。</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="595"/>
        <source>{name} answers: {models} installed.</source>
        <translation>{name} 有响应：已安装 {models}。</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="599"/>
        <source>The key works: {url} listed {models}.</source>
        <translation>密钥可用：{url} 列出了 {models}。</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="605"/>
        <source>Not verified: {reason} Check the base URL.</source>
        <translation>未验证：{reason}请检查 Base URL。</translation>
    </message>
    <message>
        <location filename="../../app/ui/settings_dialog.py" line="608"/>
        <source>The key has the right format, but {name} cannot be asked from here, so it is not verified until the first request through llm-link works.</source>
        <translation>密钥格式正确，但无法从本机向 {name} 验证，因此在第一次通过 llm-link 的请求成功之前，它都处于未验证状态。</translation>
    </message>
</context>
<context>
    <name>Status</name>
    <message>
        <location filename="../../app/i18n.py" line="519"/>
        <source>Unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="520"/>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="521"/>
        <source>Starting</source>
        <translation>正在启动</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="522"/>
        <source>Running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="523"/>
        <source>Degraded</source>
        <translation>异常</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="524"/>
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="551"/>
        <source>Gateway</source>
        <translation>网关</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="551"/>
        <source>Port</source>
        <translation>端口</translation>
    </message>
    <message>
        <location filename="../../app/i18n.py" line="604"/>
        <location filename="../../app/ui/i18n.py" line="128"/>
        <source>Last action failed at {clock}: {detail}</source>
        <translation>上次操作于 {clock} 失败：{detail}</translation>
    </message>
</context>
<context>
    <name>TrayIcon</name>
    <message>
        <location filename="../../app/ui/tray.py" line="29"/>
        <location filename="../../app/ui/tray.py" line="119"/>
        <source>default model</source>
        <translation>默认模型</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="32"/>
        <source>port {port}</source>
        <translation>端口 {port}</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="118"/>
        <source>{provider} / {model} · port {port}</source>
        <translation>{provider} / {model} · 端口 {port}</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="147"/>
        <source>{provider} (key not verified)</source>
        <translation>{provider}（密钥未验证）</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="149"/>
        <source>Key not verified yet: {reason}</source>
        <translation>密钥尚未验证：{reason}</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="150"/>
        <source>No key stored: add it in Settings</source>
        <translation>未保存密钥：请在设置中添加</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="179"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="180"/>
        <source>Provider</source>
        <translation>服务商</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="181"/>
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="184"/>
        <source>Providers</source>
        <translation>服务商</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="190"/>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="193"/>
        <source>Start</source>
        <translation>启动</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="194"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="195"/>
        <source>Restart</source>
        <translation>重启</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="197"/>
        <source>Refresh now</source>
        <translation>立即刷新</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="198"/>
        <source>Auto-refresh</source>
        <translation>自动刷新</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="200"/>
        <source>Settings…</source>
        <translation>设置…</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="201"/>
        <source>Connect an editor…</source>
        <translation>连接编辑器…</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="202"/>
        <source>Activity…</source>
        <translation>活动…</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="203"/>
        <source>View logs</source>
        <translation>查看日志</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="204"/>
        <source>Open log folder</source>
        <translation>打开日志文件夹</translation>
    </message>
    <message>
        <location filename="../../app/ui/tray.py" line="206"/>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
</context>
<context>
    <name>_EditorTab</name>
    <message>
        <location filename="../../app/ui/connect_dialog.py" line="69"/>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location filename="../../app/ui/connect_dialog.py" line="73"/>
        <source>Open Zed&apos;s settings file</source>
        <translation>打开 Zed 的设置文件</translation>
    </message>
    <message>
        <location filename="../../app/ui/connect_dialog.py" line="85"/>
        <source>Paste into {where}:</source>
        <translation>粘贴到{where}：</translation>
    </message>
    <message>
        <location filename="../../app/ui/connect_dialog.py" line="87"/>
        <source>Not usable as configured now. </source>
        <translation>按当前配置无法使用。</translation>
    </message>
</context>
</TS>
