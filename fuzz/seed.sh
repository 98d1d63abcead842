#!/usr/bin/env bash
# Builds the seed corpus of every fuzz target in fuzz/corpus/TARGET/: small
# samples (a few KB each, an EVTX header and first chunk) taken from the shared
# reference data at run time, and fixtures written here. Nothing of the shared
# data is committed: fuzz/corpus is ignored by git.
#
#   fuzz/seed.sh [SHARED_DIR]     (default: ../shared relative to the repository, or $VIGIL_SHARED)
set -euo pipefail

fuzz="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$fuzz")"
shared="${1:-${VIGIL_SHARED:-$repo/../shared}}"
corpus="$fuzz/corpus"
mkdir -p "$corpus"

seed() { # TARGET NAME < content
    mkdir -p "$corpus/$1"
    head -c 4096 > "$corpus/$1/$2"
}

# Lines of a (possibly gzipped) file, each line its own seed, as many as asked.
lines_of() { # TARGET PREFIX FILE COUNT
    local target=$1 prefix=$2 file=$3 count=$4 n=0
    [ -f "$file" ] || return 0
    while IFS= read -r line; do
        n=$((n + 1))
        printf '%s\n' "$line" | seed "$target" "$prefix-$n"
    done < <( (zcat -f "$file" 2>/dev/null || true) | head -n "$count")
}

# A block of lines of a file as one seed.
head_of() { # TARGET NAME FILE LINES
    [ -f "$3" ] || return 0
    (zcat -f "$3" 2>/dev/null || true) | head -n "$4" | seed "$1" "$2"
}

have_shared=true
[ -d "$shared/corpus" ] || { echo "seed.sh: no shared data at $shared; fixtures only" >&2; have_shared=false; }

# EVTX: the file header and first chunk (68 KiB) of a few small logs.
mkdir -p "$corpus/evtx"
if $have_shared; then
    n=0
    while IFS= read -r -d '' file; do
        n=$((n + 1))
        head -c 69632 "$file" > "$corpus/evtx/shared-$n"
        [ $n -ge 8 ] && break
    done < <(find "$shared/corpus/evtx-robustness" "$shared/corpus/evtx" -name '*.evtx' -size -200k -print0 | sort -z)
fi
printf 'ElfFile\0' > "$corpus/evtx/magic-only"

# JSON lines of every shape: NXLog (Mordor), Zeek, and fixtures.
if $have_shared; then
    n=0
    for file in $(find "$shared/corpus/mordor" -name '*.json.gz' | sort | head -n 4); do
        n=$((n + 1)); lines_of json_line "mordor$n" "$file" 5
    done
    lines_of json_line zeek-dns "$shared/corpus/zeek/dns.json.gz" 3
    lines_of json_line zeek-stream "$shared/corpus/zeek-streaming/apt29_day2_combined_zeek.log.gz" 3
fi
seed json_line evtx-dump <<'EOF'
{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing","Guid":"54849625"}},"EventID":4688,"TimeCreated":{"#attributes":{"SystemTime":"2024-03-01T10:00:00.000Z"}},"EventRecordID":7,"Channel":"Security","Computer":"WS-1"},"EventData":{"NewProcessName":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami /all"}}}
EOF
seed json_line winlogbeat7 <<'EOF'
{"@timestamp":"2024-03-01T10:00:00.000Z","winlog":{"channel":"Security","event_id":4624,"computer_name":"DC-01","record_id":12,"provider_name":"Microsoft-Windows-Security-Auditing","event_data":{"TargetUserName":"alice","LogonType":"3","IpAddress":"10.0.0.5"}},"event":{"code":"4624"},"host":{"name":"DC-01"}}
EOF
seed json_line winlogbeat6 <<'EOF'
{"@timestamp":"2019-03-01T10:00:00.000Z","beat":{"name":"WS-1"},"log_name":"Security","event_id":4625,"computer_name":"WS-1","record_number":"5","source_name":"Microsoft-Windows-Security-Auditing","event_data":{"TargetUserName":"bob"}}
EOF
seed json_line nxlog <<'EOF'
{"EventTime":"2020-06-09 22:50:55","Hostname":"WS-1","EventID":1,"SourceName":"Microsoft-Windows-Sysmon","Channel":"Microsoft-Windows-Sysmon/Operational","RecordNumber":3,"Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd /c whoami","EventType":"INFO"}
EOF
seed json_line wazuh <<'EOF'
{"timestamp":"2024-03-01T10:00:00.000+0000","agent":{"name":"WS-1"},"data":{"win":{"system":{"eventID":"4688","channel":"Security","computer":"WS-1","systemTime":"2024-03-01T10:00:00.0Z","eventRecordID":"9","providerName":"Microsoft-Windows-Security-Auditing"},"eventdata":{"newProcessName":"C:\\\\Windows\\\\System32\\\\whoami.exe"}}},"location":"EventChannel"}
EOF
seed json_line journald <<'EOF'
{"__REALTIME_TIMESTAMP":"1709287200000000","_HOSTNAME":"web-1","SYSLOG_IDENTIFIER":"sshd","_PID":"812","MESSAGE":"Failed password for root from 10.0.0.9 port 51234 ssh2","PRIORITY":"6","_SYSTEMD_UNIT":"ssh.service"}
EOF
seed json_line splunk <<'EOF'
{"result":{"_raw":"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>4625</EventID><TimeCreated SystemTime='2024-03-01T10:00:00.000Z'/><EventRecordID>4</EventRecordID><Channel>Security</Channel><Computer>WS-1</Computer></System><EventData><Data Name='TargetUserName'>bob</Data></EventData></Event>","host":"WS-1"}}
EOF
seed json_line ecs <<'EOF'
{"@timestamp":"2024-03-01T10:00:00Z","event":{"code":"1","provider":"Microsoft-Windows-Sysmon"},"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","event_id":"1","computer_name":"WS-1","event_data":{"Image":"C:\\x.exe"}},"process":{"command_line":"x.exe -e","executable":"C:\\x.exe"},"agent":{"type":"winlogbeat","version":"8.11.0"}}
EOF
seed json_line nested <<'EOF'
{"a":{"b":[1,2,{"c":"d"}],"e":null,"f":1.5e300,"g":"\u00e9\ud83d\ude00"},"h":true}
EOF

# Syslog lines.
if $have_shared; then
    head_of syslog_line linux "$shared/corpus/linux/Linux/Linux_2k.log" 40
    head_of syslog_line openssh "$shared/corpus/linux/OpenSSH/OpenSSH_2k.log" 40
fi
seed syslog_line rfc5424 <<'EOF'
<34>1 2024-03-01T10:00:00.123Z web-1 sshd 812 ID47 [exampleSDID@32473 iut="3" eventSource="Application"] Accepted publickey for alice from 10.0.0.5 port 51234 ssh2
<86>Mar  1 10:00:01 web-1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/cat /etc/shadow
Mar  1 10:00:02 web-1 sshd[900]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.0.9  user=root
Mar  1 10:00:03 web-1 sshd[900]: Invalid user admin from 10.0.0.9 port 4444
EOF
seed syslog_line sysmon-linux <<'EOF'
Mar  1 10:00:04 web-1 sysmon: <Event><System><Provider Name="Linux-Sysmon" Guid="{ff032593-a8d3-4f13-b0d6-01fc615a0f97}"/><EventID>1</EventID><Version>5</Version><Level>4</Level><Task>1</Task><TimeCreated SystemTime="2024-03-01T10:00:04.000000Z"/><EventRecordID>1</EventRecordID><Channel>Linux-Sysmon/Operational</Channel><Computer>web-1</Computer></System><EventData><Data Name="Image">/usr/bin/curl</Data><Data Name="CommandLine">curl http://x</Data></EventData></Event>
EOF

# auditd logs (raw and ausearch -i), several records of one event.
seed auditd raw <<'EOF'
type=SYSCALL msg=audit(1709287200.123:4321): arch=c000003e syscall=59 success=yes exit=0 a0=55d1 a1=55d2 a2=55d3 a3=0 items=2 ppid=900 pid=901 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm="cat" exe="/usr/bin/cat" key="shadow"
type=EXECVE msg=audit(1709287200.123:4321): argc=2 a0="cat" a1="/etc/shadow"
type=CWD msg=audit(1709287200.123:4321): cwd="/root"
type=PATH msg=audit(1709287200.123:4321): item=0 name="/usr/bin/cat" inode=1 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL
type=PROCTITLE msg=audit(1709287200.123:4321): proctitle=636174002F6574632F736861646F77
type=EOE msg=audit(1709287200.123:4321):
type=USER_LOGIN msg=audit(1709287201.000:4322): pid=5 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct="root" exe="/usr/sbin/sshd" hostname=? addr=10.0.0.9 terminal=ssh res=failed'
EOF
seed auditd ausearch <<'EOF'
----
type=PROCTITLE msg=audit(03/01/2024 10:00:00.123:4321) : proctitle=cat /etc/shadow
type=SYSCALL msg=audit(03/01/2024 10:00:00.123:4321) : arch=x86_64 syscall=execve success=yes exit=0 ppid=900 pid=901 auid=alice uid=root comm=cat exe=/usr/bin/cat key=shadow
node=web-1 type=EXECVE msg=audit(1709287200.123:4323): argc=1 a0="id"
EOF

# Windows event XML.
seed windows_xml wevtutil <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<Events><Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/><EventID>4624</EventID><Version>2</Version><Level>0</Level><TimeCreated SystemTime='2024-03-01T10:00:00.000000Z'/><EventRecordID>11</EventRecordID><Execution ProcessID='4' ThreadID='8'/><Channel>Security</Channel><Computer>DC-01</Computer><Security/></System><EventData><Data Name='TargetUserName'>alice</Data><Data Name='LogonType'>3</Data><Data>&lt;unnamed&gt;</Data></EventData></Event>
<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID Qualifiers='16384'>7045</EventID><Channel>System</Channel><Computer>WS-1</Computer></System><UserData><Op><Name>x</Name></Op></UserData></Event></Events>
EOF

# Zeek TSV.
printf '#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2024-03-01-10-00-00\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\n1709287200.000000\tC1\t10.0.0.5\t51234\t203.0.113.9\t443\ttcp\tssl\t12.5\t1048576\t2048\tSF\n1709287260.5\tC2\t10.0.0.5\t53\t10.0.0.1\t53\tudp\t-\t-\t-\t(empty)\tS0\n#close\t2024-03-01-11-00-00\n' | seed zeek_tsv conn
printf '#separator \\x09\n#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tqtype_name\tanswers\tTTLs\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tstring\tvector[string]\tvector[interval]\n1709287200.1\tD1\t10.0.0.5\t5353\t10.0.0.1\t53\tudp\taGVsbG8.tunnel.example\tTXT\ta,b\t60.0,60.0\n' | seed zeek_tsv dns

# Zeek JSON (per log and streaming).
if $have_shared; then
    for log in dns ssl http files conn; do
        head_of zeek_json "$log" "$shared/corpus/zeek/$log.json.gz" 8
    done
    head_of zeek_json streaming "$shared/corpus/zeek-streaming/apt29_day2_combined_zeek.log.gz" 12
fi
seed zeek_json conn <<'EOF'
{"_path":"conn","ts":1709287200.0,"uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":51234,"id.resp_h":"203.0.113.9","id.resp_p":443,"proto":"tcp","duration":12.5,"orig_bytes":1048576,"resp_bytes":2048}
{"@stream":"dns","ts":"2024-03-01T10:00:00Z","id_orig_h":"10.0.0.5","query":"x.example","qtype_name":"TXT"}
EOF

# Flow exports.
seed flows vigil-csv <<'EOF'
ts,src_ip,src_port,dst_ip,dst_port,proto,bytes_out,bytes_in,packets_out,packets_in,duration,action
2024-03-01T10:00:00Z,10.0.0.5,51234,203.0.113.9,443,tcp,1048576,2048,800,20,12.5,allow
1709287260,10.0.0.6,51235,198.51.100.3,22,tcp,10,20,1,1,0.1,deny
EOF
seed flows fortigate <<'EOF'
date=2024-03-01 time=10:00:00 devname="FG-1" logid="0000000013" type="traffic" subtype="forward" srcip=10.0.0.5 srcport=51234 dstip=203.0.113.9 dstport=443 proto=6 action="close" duration=12 sentbyte=1048576 rcvdbyte=2048 sentpkt=800 rcvdpkt=20
eventtime=1709287260000000000 type="traffic" srcip=10.0.0.6 dstip=198.51.100.3 dstport=22 proto=6 action="deny" sentdelta=10 rcvddelta=0
EOF
seed flows panos-header <<'EOF'
Receive Time,Type,Source address,Destination address,Source Port,Destination Port,IP Protocol,Action,Bytes Sent,Bytes Received,Packets Sent,Packets Received,Start Time,Elapsed Time (sec)
2024/03/01 10:00:12,TRAFFIC,10.0.0.5,203.0.113.9,51234,443,tcp,allow,1048576,2048,800,20,2024/03/01 10:00:00,12
EOF
seed flows panos-syslog <<'EOF'
1,2024/03/01 10:00:12,001801000001,TRAFFIC,end,2560,2024/03/01 10:00:12,10.0.0.5,203.0.113.9,0.0.0.0,0.0.0.0,allow-web,,,ssl,vsys1,trust,untrust,ethernet1/1,ethernet1/2,Forward,2024/03/01 10:00:12,4321,1,51234,443,0,0,0x400000,tcp,allow,1050624,1048576,2048,820,2024/03/01 10:00:00,12,any,0,730,0x0,10.0.0.0-10.255.255.255,United States,0,800,20
EOF
seed flows jsonl <<'EOF'
{"ts":"2024-03-01T10:00:00Z","src_ip":"10.0.0.5","dst_ip":"203.0.113.9","dst_port":443,"bytes_out":1048576,"bytes_in":2048}
EOF

# Sigma rules: a few of SigmaHQ's, the built-in pack's correlations, fixtures.
if $have_shared; then
    n=0
    for file in $(find "$shared/sigma/rules" -name '*.yml' -size -3k | sort | awk 'NR % 250 == 1' | head -n 12); do
        n=$((n + 1)); seed sigma_rules "sigmahq-$n" < "$file"
    done
fi
n=0
for file in "$repo"/crates/rules/rules/correlations/*.yml; do
    n=$((n + 1)); seed sigma_rules "builtin-correlation-$n" < "$file"
    seed correlation "builtin-$n" < "$file"
done
seed sigma_rules modifiers <<'EOF'
title: Modifiers
id: 00000000-0000-4000-8000-000000000001
level: high
logsource: { product: windows, category: process_creation }
detection:
    selection:
        Image|endswith: '\whoami.exe'
        CommandLine|contains|all: ['whoami', '/all']
    regex:
        CommandLine|re|i: '^who(ami)?\s+/[a-z]+$'
    b64:
        CommandLine|base64offset|contains: 'whoami'
    cidr:
        IpAddress|cidr: 10.0.0.0/8
    keywords:
        - 'whoami*'
        - '?ho*'
    filter:
        User|exists: false
    condition: (selection or 1 of regex*) and not filter or all of them or keywords or b64 or cidr
EOF
seed sigma_rules linux-zeek <<'EOF'
title: sshd failure
id: 00000000-0000-4000-8000-000000000002
logsource: { product: linux, service: sshd }
detection:
    keywords: ['Failed password']
    condition: keywords
---
title: TXT queries
id: 00000000-0000-4000-8000-000000000003
logsource: { product: zeek, service: dns }
detection:
    selection:
        qtype_name: TXT
        query|windash|contains: '.example.'
    condition: selection | count(query) by id.orig_h > 0
EOF
seed correlation types <<'EOF'
title: Guessing
id: 5d0b7f38-0000-4000-8000-000000000010
name: guessing
correlation:
    type: event_count
    rules: [failed_logon]
    group-by: [TargetUserName]
    timespan: 5m
    condition: { gte: 2 }
---
title: Guessing then start
id: 5d0b7f38-0000-4000-8000-000000000011
level: critical
correlation:
    type: temporal_ordered
    rules: [guessing, process_start]
    aliases:
        user:
            guessing: TargetUserName
            process_start: SubjectUserName
    group-by: [user]
    timespan: 1h
---
title: Many users
id: 5d0b7f38-0000-4000-8000-000000000012
correlation:
    type: value_count
    rules: [failed_logon, process_start]
    group-by: [Channel]
    timespan: 10m
    condition: { field: TargetUserName, lt: 5 }
    generate: true
---
title: Rare
id: 5d0b7f38-0000-4000-8000-000000000013
correlation:
    type: value_percentile
    rules: failed_logon
    group-by: [Channel]
    timespan: 1d
    condition: { field: IpAddress, lte: 50 }
EOF

# The inventory.
seed inventory simulate <<'EOF'
domain: CLINIC
dns_suffix: clinic.example
hosts:
  - name: DC-01
    fqdn: DC-01.clinic.example
    role: domain_controller
    ips: [10.0.0.1, 10.20.1.10]
    services: [authentication, name resolution]
    depends_on: []
    primary_user: CLINIC\alice
  - name: WS-1
    role: workstation
    ips: [10.0.0.5]
    depends_on: [DC-01]
EOF
seed inventory anchors <<'EOF'
base: &base {role: workstation, ips: [10.0.0.9]}
hosts:
  - {name: A, <<: *base}
  - *base
EOF

# Mapping files.
seed mapping edr <<'EOF'
shapes:
  - name: Acme EDR
    when:
      has: [host.name, event.code]
      equals: {event.code: "4688"}
    product: windows
    channel: Security
    host: host.name
    time: "@timestamp"
    record_id: edr.seq
    event_id: event.code
    provider: edr.source
    fields:
      process.command_line: CommandLine
  - name: VPN
    when: {has: [app], equals: {app: vpn}}
    product: linux
    channel_from: app
    time: time
    fields: {user: TargetUserName, nested.a: Values}
EOF

# HTTP intake bodies.
printf '{"Event":{"System":{"EventID":4688,"Channel":"Security","Computer":"WS-1"},"EventData":{"CommandLine":"whoami"}}}' | seed watch_http object
printf '[{"ts":1,"id.orig_h":"10.0.0.1"},{"a":[1,2]},3,"x",null]' | seed watch_http array
printf '{"a":1}\n\n{"b":{"c":2}}\r\nnot json\n' | seed watch_http ndjson

# Syslog TCP streams: octet-counted and newline frames mixed.
printf '75 <34>1 2024-03-01T10:00:00Z web-1 sshd 812 - - Failed password for root\n<13>Mar  1 10:00:00 web-1 sshd[1]: Invalid user x from 10.0.0.9\n5 abcde0 ' | seed watch_syslog mixed

# Standard input and followed files: the first byte(s) choose read sizes,
# groups and buffers (stdin) or the operations on the file (follow).
printf '\x07\x02\x10\x01{"a":1}\r\n\n{"EventID":4688}\nnot json\n\xff\xfe\nlast' | seed watch_stdin lines
printf '\x00\x0c{"a":1}\n{"b\x04\x03\x00\x08":2}\r\n\x05\x01\x06\x00\x01\x05x\ny\n\x07\x00' | seed watch_follow grow-truncate-rotate
$have_shared && head_of watch_stdin shared-json "$shared/corpus/mordor/$(ls "$shared/corpus/mordor" 2>/dev/null | head -n 1)" 8

# Requests on one connection, as the intake and the console read them.
printf 'POST /events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer 0123456789abcdef\r\nContent-Length: 7\r\n\r\n{"a":1}GET /health HTTP/1.1\r\n\r\n' | seed http_request keep-alive
printf 'POST /v1/logs HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n3;x=y\r\nabc\r\n0\r\nTrailer: 1\r\n\r\n' | seed http_request chunked
printf 'POST /login?next=%%2Fnow HTTP/1.0\r\nCookie: a=b; vigil_session=c\r\nContent-Length: 12\r\n\r\naction=close' | seed http_request form

# OpenTelemetry exports: JSON, and the protobuf of one record with a text body
# and a resource attribute (written byte by byte from the OTLP field numbers).
printf '{"resourceLogs":[{"resource":{"attributes":[{"key":"host.name","value":{"stringValue":"FS-01"}}]},"scopeLogs":[{"logRecords":[{"timeUnixNano":"1700000000000000000","body":{"stringValue":"{\\"EventID\\":4688}"},"attributes":[{"key":"k","value":{"intValue":"7"}}]},{"body":{"kvlistValue":{"values":[{"key":"EventID","value":{"intValue":"4624"}}]}}}]}]}]}' | seed otlp json
printf '\x0a\x2a\x0a\x15\x0a\x13\x0a\x09host.name\x12\x06\x0a\x04FS-1\x12\x11\x12\x0f\x2a\x0d\x0a\x0b{"EventID":1}' | seed otlp protobuf

for target in "$corpus"/*/; do
    printf '%-14s %3d seeds\n' "$(basename "$target")" "$(ls "$target" | wc -l)"
done
